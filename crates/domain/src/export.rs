//! Files written for a spreadsheet: one way to write a CSV cell, so that no cell of any
//! export is read as a formula.

/// The UTF-8 byte-order mark that each CSV file begins with: without it Excel (in a
/// Swedish locale too) reads the file as Windows-1252 and garbles å, ä and ö.
pub const BOM: &str = "\u{FEFF}";

/// A text cell for CSV. A spreadsheet reads a cell that begins with `=`, `+`, `-` or `@`
/// (or a tab or a carriage return before one) as a formula, so such a cell gets a single
/// quote before it and is read as text; the cell is then quoted when it holds a comma, a
/// quote or a line break. Numbers written by Sluss itself are not text cells.
pub fn cell(s: &str) -> String {
    let text = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_quoting_stays() {
        assert_eq!(cell("Ett koncept"), "Ett koncept");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("sa \"hej\""), "\"sa \"\"hej\"\"\"");
        assert_eq!(cell("rad\nrad"), "\"rad\nrad\"");
        assert_eq!(
            cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("\r=1"), "\"'\r=1\"");
        assert_eq!(cell(""), "");
        assert_eq!(cell("a=b"), "a=b");
    }
}
