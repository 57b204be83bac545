//! ISO 4217 alphabetic currency codes and their minor units.

/// Active ISO 4217 alphabetic codes (including fund and special codes).
const CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

const ZERO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const FOUR_DECIMALS: &[&str] = &["CLF", "UYW"];

/// Whether `code` is an ISO 4217 alphabetic code.
///
/// ```
/// use ledgerline_extract::currency::is_iso_code;
/// assert!(is_iso_code(b"USD"));
/// assert!(!is_iso_code(b"usd"));
/// assert!(!is_iso_code(b"ABC"));
/// ```
pub fn is_iso_code(code: &[u8]) -> bool {
    code.len() == 3 && std::str::from_utf8(code).is_ok_and(|c| CODES.binary_search(&c).is_ok())
}

/// Digits after the decimal point of the currency's minor unit (2 when unknown).
///
/// ```
/// use ledgerline_extract::currency::minor_units;
/// assert_eq!(minor_units("USD"), 2);
/// assert_eq!(minor_units("JPY"), 0);
/// assert_eq!(minor_units("BHD"), 3);
/// ```
pub fn minor_units(code: &str) -> u32 {
    if ZERO_DECIMALS.contains(&code) {
        0
    } else if THREE_DECIMALS.contains(&code) {
        3
    } else if FOUR_DECIMALS.contains(&code) {
        4
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(super::CODES.windows(2).all(|w| w[0] < w[1]));
        for c in super::ZERO_DECIMALS.iter().chain(super::THREE_DECIMALS) {
            assert!(super::is_iso_code(c.as_bytes()), "{c}");
        }
    }
}
