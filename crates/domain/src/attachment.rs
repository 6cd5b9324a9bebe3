//! Attachments (bilagor): what a file may be, told by its content and never by its name,
//! how its name is made safe to keep and to send back, and the limits of one item.
//!
//! The type is read from the first bytes (the `infer` crate's magic numbers). The office
//! formats are zip archives, told apart by what is inside: Office Open XML (docx, xlsx,
//! pptx) by the entries of the archive (`[Content_Types].xml`, then `word/`, `xl/` or
//! `ppt/`), OpenDocument text by its first entry, `mimetype`, stored uncompressed with
//! the text `application/vnd.oasis.opendocument.text`. Any other zip is refused.

use crate::submission::string_enum;
use crate::{ErrorCode, FieldError};

string_enum!(
    /// What an attachment belongs to.
    OwnerKind {
        Submission => "submission",
        Case => "case",
        Campaign => "campaign",
    }
);

impl OwnerKind {
    /// How many files one item of this kind may carry: a submission takes up to three
    /// (the intake form), a case and a challenge more, added one at a time.
    pub fn max_files(&self) -> usize {
        match self {
            OwnerKind::Submission => 3,
            OwnerKind::Case => 20,
            OwnerKind::Campaign => 10,
        }
    }
}

string_enum!(
    /// The file types allowed, by content.
    FileType {
        Pdf => "application/pdf",
        Png => "image/png",
        Jpeg => "image/jpeg",
        Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Pptx => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Odt => "application/vnd.oasis.opendocument.text",
    }
);

impl FileType {
    /// The type of `bytes` by their content, or `None` when it is not on the allow-list.
    pub fn of(bytes: &[u8]) -> Option<FileType> {
        let found = infer::get(bytes)?;
        FileType::parse(found.mime_type())
    }

    /// The extension a file of this type is known by.
    pub fn extension(&self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Odt => "odt",
        }
    }
}

/// The longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A file name safe to store and to send back in a header: the last part of a path only
/// (a browser may send `C:\…\name`), without control, hidden or path characters, without
/// leading dots, at most [`MAX_NAME_CHARS`] characters with its extension kept. A name
/// that is empty after that becomes `bilaga.<extension of its type>`.
pub fn sanitise_name(raw: &str, kind: FileType) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !crate::text::is_hidden(*c))
        .map(|c| match c {
            '"' | '*' | ':' | '<' | '>' | '?' | '|' | ';' => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return format!("bilaga.{}", kind.extension());
    }
    if cleaned.chars().count() <= MAX_NAME_CHARS {
        return cleaned.to_string();
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if !e.is_empty() && e.chars().count() <= 10 => (s, e),
        _ => (cleaned, ""),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count() - usize::from(!ext.is_empty());
    let stem: String = stem.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// A file as it arrived, before it is checked.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file that passed the checks: its safe name and its type.
#[derive(Debug, Clone)]
pub struct CheckedFile<'a> {
    pub file_name: String,
    pub file_type: FileType,
    pub bytes: &'a [u8],
}

/// Checks the files given for one item (as `field`) against the count left for it, the
/// size limit and the allow-list; the first refusal is the field's error.
pub fn check<'a>(
    field: &'static str,
    files: &'a [Upload],
    room: usize,
    max_bytes: u64,
) -> Result<Vec<CheckedFile<'a>>, FieldError> {
    if files.len() > room {
        return Err(FieldError::new(
            field,
            ErrorCode::TooManyFiles { max: room },
        ));
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        if f.bytes.len() as u64 > max_bytes {
            let max_mb = usize::try_from(max_bytes / (1024 * 1024)).unwrap_or(usize::MAX);
            return Err(FieldError::new(field, ErrorCode::FileTooLarge { max_mb }));
        }
        let file_type =
            FileType::of(&f.bytes).ok_or(FieldError::new(field, ErrorCode::FileTypeNotAllowed))?;
        out.push(CheckedFile {
            file_name: sanitise_name(&f.file_name, file_type),
            file_type,
            bytes: &f.bytes,
        });
    }
    Ok(out)
}

/// A small valid PDF with one empty page: for the demo and the tests.
pub fn tiny_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            file_name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_type_is_told_by_content_not_by_name() {
        assert_eq!(FileType::of(&tiny_pdf()), Some(FileType::Pdf));
        assert_eq!(
            FileType::of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        // A Windows program renamed .pdf.
        let exe = upload("faktura.pdf", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0");
        assert_eq!(
            check("files", &[exe], 3, 1024).map(|_| ()),
            Err(FieldError::new("files", ErrorCode::FileTypeNotAllowed))
        );
        // A plain zip is not an office document.
        assert_eq!(FileType::of(b"PK\x03\x04\x14\0\0\0\0\0"), None);
        assert_eq!(FileType::of(b"just text"), None);
    }

    #[test]
    fn limits_of_count_and_size() {
        let pdf = tiny_pdf();
        let files = vec![upload("a.pdf", &pdf), upload("b.pdf", &pdf)];
        assert_eq!(
            check("files", &files, 1, 1 << 20).map(|_| ()),
            Err(FieldError::new("files", ErrorCode::TooManyFiles { max: 1 }))
        );
        assert_eq!(
            check("files", &files, 2, 10).map(|_| ()),
            Err(FieldError::new(
                "files",
                ErrorCode::FileTooLarge { max_mb: 0 }
            ))
        );
        let ok = check("files", &files, 2, 1 << 20).expect("two small PDFs");
        assert_eq!(ok[1].file_name, "b.pdf");
        assert_eq!(ok[1].file_type, FileType::Pdf);
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            sanitise_name("C:\\Users\\a\\Beskrivning.pdf", FileType::Pdf),
            "Beskrivning.pdf"
        );
        assert_eq!(sanitise_name("../../etc/passwd", FileType::Pdf), "passwd");
        assert_eq!(sanitise_name("..", FileType::Png), "bilaga.png");
        assert_eq!(
            sanitise_name("a\u{202e}fdp.exe\n", FileType::Pdf),
            "afdp.exe"
        );
        assert_eq!(sanitise_name("\"x\";.pdf", FileType::Pdf), "_x__.pdf");
        let long = format!("{}.docx", "å".repeat(300));
        let safe = sanitise_name(&long, FileType::Docx);
        assert_eq!(safe.chars().count(), MAX_NAME_CHARS);
        assert!(safe.ends_with(".docx"));
    }
}
