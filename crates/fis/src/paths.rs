//! Where a document's structure is not what the model expects (`expenseEntry` an object,
//! `allocation` a string ...): the fast reader gives up on the whole document with a
//! position, so the document is read again as a plain JSON tree and walked to name the
//! first such field by its JSON path. Only documents that fail are read twice.

use serde_json::Value;

/// What each container field must be: a list of objects, or an object.
enum Want {
    ListOf(&'static [(&'static str, Want)]),
    Object(&'static [(&'static str, Want)]),
}

const JOURNAL: &[(&str, Want)] = &[];
const TAX: &[(&str, Want)] = &[];
const ALLOCATION: &[(&str, Want)] = &[
    ("journal", Want::ListOf(JOURNAL)),
    ("tax", Want::ListOf(TAX)),
];
const ENTRY: &[(&str, Want)] = &[("allocation", Want::ListOf(ALLOCATION))];
const PAYLOAD: &[(&str, Want)] = &[
    ("employee", Want::Object(&[])),
    ("report", Want::Object(&[])),
    ("expenseEntry", Want::ListOf(ENTRY)),
    ("cashAdvanceApplication", Want::ListOf(&[])),
    ("employeeData", Want::Object(&[])),
    ("cashAdvanceData", Want::Object(&[])),
    ("requestHeader", Want::Object(&[])),
    ("ownerEmployee", Want::Object(&[])),
    ("vendor", Want::Object(&[])),
    ("lineItem", Want::ListOf(&[])),
];

/// The JSON path (from the payload, starting with `.`) of the first field whose type is
/// wrong, or `None` when the structure is as expected (or the text is no JSON at all).
pub fn first_mismatch(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    walk(&v, PAYLOAD, "")
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn walk(v: &Value, fields: &[(&str, Want)], path: &str) -> Option<String> {
    let Value::Object(map) = v else {
        return Some(format!("{path} (is {}, not an object)", kind(v)));
    };
    for (key, want) in fields {
        let Some(child) = map.get(*key) else { continue };
        if child.is_null() {
            continue;
        }
        let p = format!("{path}.{key}");
        match want {
            Want::Object(inner) => {
                if !child.is_object() {
                    return Some(format!("{p} (is {}, not an object)", kind(child)));
                }
                if let Some(found) = walk(child, inner, &p) {
                    return Some(found);
                }
            }
            Want::ListOf(inner) => {
                let Value::Array(items) = child else {
                    return Some(format!("{p} (is {}, not a list)", kind(child)));
                };
                for (i, item) in items.iter().enumerate() {
                    if let Some(found) = walk(item, inner, &format!("{p}[{i}]")) {
                        return Some(found);
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_wrong_container_is_named() {
        assert_eq!(
            first_mismatch(
                r#"{"report":{},"expenseEntry":[{"allocation":[{"journal":{"a":1}}]}]}"#
            )
            .as_deref(),
            Some(".expenseEntry[0].allocation[0].journal (is an object, not a list)")
        );
        assert_eq!(
            first_mismatch(r#"{"report":"x"}"#).as_deref(),
            Some(".report (is a string, not an object)")
        );
        assert_eq!(first_mismatch(r#"{"report":{},"expenseEntry":[]}"#), None);
    }
}
