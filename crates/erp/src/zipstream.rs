//! A small streaming zip writer (deflate, data descriptors) for targets that load a zip:
//! Oracle FBDI and the Xero file set. It writes to any `Write` (standard output included)
//! without seeking and without holding an entry in memory. Entries carry a fixed timestamp
//! (1980-01-01) so the same journals give the same bytes.

use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::{self, Write};

struct Entry {
    name: String,
    offset: u32,
    crc: u32,
    csize: u32,
    size: u32,
}

struct Current {
    name: String,
    offset: u64,
    enc: DeflateEncoder<Vec<u8>>,
    crc: crc32fast::Hasher,
    size: u64,
    csize: u64,
}

/// A zip archive being written.
pub struct ZipStream<W: Write> {
    out: W,
    pos: u64,
    entries: Vec<Entry>,
    cur: Option<Current>,
    done: bool,
}

const LIMIT: u64 = u32::MAX as u64;
const FLAGS: u16 = 0x0808; // data descriptor follows; UTF-8 names
const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01
const DOS_TIME: u16 = 0;

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} is over 4 GiB, more than a plain zip holds; convert fewer extracts at once"
    ))
}

impl<W: Write> ZipStream<W> {
    /// An empty archive writing into `out`.
    pub fn new(out: W) -> Self {
        ZipStream {
            out,
            pos: 0,
            entries: Vec::new(),
            cur: None,
            done: false,
        }
    }

    fn put(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    /// Starts the entry `name` (ending the current one).
    pub fn start(&mut self, name: &str) -> io::Result<()> {
        self.end_entry()?;
        if self.entries.len() >= u16::MAX as usize {
            return Err(io::Error::other("more than 65535 files in one zip"));
        }
        let offset = self.pos;
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&FLAGS.to_le_bytes());
        h.extend_from_slice(&8u16.to_le_bytes());
        h.extend_from_slice(&DOS_TIME.to_le_bytes());
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&[0u8; 12]); // crc, sizes: in the data descriptor
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        self.put(&h)?;
        self.cur = Some(Current {
            name: name.to_owned(),
            offset,
            enc: DeflateEncoder::new(Vec::with_capacity(1 << 16), Compression::fast()),
            crc: crc32fast::Hasher::new(),
            size: 0,
            csize: 0,
        });
        Ok(())
    }

    /// Appends to the current entry.
    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let Some(c) = self.cur.as_mut() else {
            return Err(io::Error::other("zip: no entry started"));
        };
        c.crc.update(data);
        c.size += data.len() as u64;
        c.enc.write_all(data)?;
        if c.enc.get_ref().len() >= 1 << 16 {
            let buf = c.enc.get_mut();
            c.csize += buf.len() as u64;
            self.out.write_all(buf)?;
            self.pos += buf.len() as u64;
            buf.clear();
        }
        Ok(())
    }

    fn end_entry(&mut self) -> io::Result<()> {
        let Some(c) = self.cur.take() else {
            return Ok(());
        };
        let crc = c.crc.finalize();
        let rest = c.enc.finish()?;
        let csize = c.csize + rest.len() as u64;
        self.put(&rest)?;
        if c.size > LIMIT || csize > LIMIT || c.offset > LIMIT {
            return Err(too_big(&c.name));
        }
        let mut d = Vec::with_capacity(16);
        d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        d.extend_from_slice(&crc.to_le_bytes());
        d.extend_from_slice(&(csize as u32).to_le_bytes());
        d.extend_from_slice(&(c.size as u32).to_le_bytes());
        self.put(&d)?;
        self.entries.push(Entry {
            name: c.name,
            offset: c.offset as u32,
            crc,
            csize: csize as u32,
            size: c.size as u32,
        });
        Ok(())
    }

    /// Ends the last entry and writes the central directory. Idempotent.
    pub fn finish(&mut self) -> io::Result<()> {
        if self.done {
            return self.out.flush();
        }
        self.end_entry()?;
        let cd_start = self.pos;
        let mut cd = Vec::new();
        for e in &self.entries {
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&20u16.to_le_bytes());
            cd.extend_from_slice(&FLAGS.to_le_bytes());
            cd.extend_from_slice(&8u16.to_le_bytes());
            cd.extend_from_slice(&DOS_TIME.to_le_bytes());
            cd.extend_from_slice(&DOS_DATE.to_le_bytes());
            cd.extend_from_slice(&e.crc.to_le_bytes());
            cd.extend_from_slice(&e.csize.to_le_bytes());
            cd.extend_from_slice(&e.size.to_le_bytes());
            cd.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0u8; 8]); // extra, comment, disk, internal attributes
            cd.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            cd.extend_from_slice(&e.offset.to_le_bytes());
            cd.extend_from_slice(e.name.as_bytes());
        }
        self.put(&cd)?;
        if self.pos > LIMIT {
            return Err(too_big("the archive"));
        }
        let n = self.entries.len() as u16;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0u8; 4]);
        end.extend_from_slice(&n.to_le_bytes());
        end.extend_from_slice(&n.to_le_bytes());
        end.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        end.extend_from_slice(&(cd_start as u32).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.put(&end)?;
        self.done = true;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_streamed_zip_reads_back_with_the_zip_crate() {
        let mut out = Vec::new();
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        {
            let mut z = ZipStream::new(&mut out);
            z.start("a.csv").unwrap();
            z.write_all(b"x,y\r\n1,2\r\n").unwrap();
            z.start("b.bin").unwrap();
            for c in big.chunks(7000) {
                z.write_all(c).unwrap();
            }
            z.start("empty").unwrap();
            z.finish().unwrap();
            z.finish().unwrap();
        }
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(&out)).unwrap();
        assert_eq!(a.len(), 3);
        let mut read = |name: &str| {
            let mut v = Vec::new();
            a.by_name(name).unwrap().read_to_end(&mut v).unwrap();
            v
        };
        assert_eq!(read("a.csv"), b"x,y\r\n1,2\r\n");
        assert_eq!(read("b.bin"), big);
        assert!(read("empty").is_empty());
    }

    #[test]
    fn the_same_entries_give_the_same_bytes() {
        let make = || {
            let mut out = Vec::new();
            let mut z = ZipStream::new(&mut out);
            z.start("GlInterface.csv").unwrap();
            z.write_all(b"NEW,1\n").unwrap();
            z.finish().unwrap();
            out
        };
        assert_eq!(make(), make());
    }

    #[test]
    fn writing_before_an_entry_is_an_error() {
        let mut z = ZipStream::new(Vec::new());
        assert!(z.write_all(b"x").is_err());
    }
}
