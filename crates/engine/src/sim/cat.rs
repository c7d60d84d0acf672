//! Messages and key-field names concatenated in one allocation ([`cat!`]).

/// A piece of a message built by [`cat!`].
pub(crate) trait Piece {
    fn size(&self) -> usize;
    fn put(&self, out: &mut String);
}

impl Piece for &str {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for super::exec::Text {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

pub(crate) fn put_decimal(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Pushed one by one: `cat!` has reserved room, and a few ASCII pushes cost less than
    // validating the digits as UTF-8 and copying them with `memcpy`.
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

impl Piece for u32 {
    fn size(&self) -> usize {
        10
    }
    fn put(&self, out: &mut String) {
        put_decimal(u64::from(*self), out);
    }
}

impl Piece for usize {
    fn size(&self) -> usize {
        20
    }
    fn put(&self, out: &mut String) {
        put_decimal(*self as u64, out);
    }
}

/// Concatenates pieces into one string of the right capacity: `format!` costs several
/// hundred instructions and often a reallocation, and these messages are built for every
/// missed step.
pub(crate) fn cat_pieces(parts: &[&dyn Piece]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.size()).sum());
    for p in parts {
        p.put(&mut out);
    }
    out
}

macro_rules! cat {
    ($($p:expr),* $(,)?) => {
        $crate::sim::cat::cat_pieces(&[$(&$p as &dyn $crate::sim::cat::Piece),*])
    };
}
