//! `sluss ranking fit` and `sluss ranking simulate`: the engine of pairwise voting on files,
//! for checking results outside the application and for studying pair choice.

use anyhow::{Context, Result, bail};
use domain::ranking::{
    Comparisons, Selector, fit, log_checkpoints, simulate as run_simulation, standings,
};

/// The prior used unless told otherwise: strengths have prior variance 1/(2·0.1) = 5, wide
/// enough not to flatten real differences, firm enough to keep unbeaten ideas finite.
pub const DEFAULT_ALPHA: f64 = 0.1;

fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        bail!("--alpha must be a number above 0, got {alpha}");
    }
    Ok(())
}

/// Votes read from CSV: the ideas in order of first appearance, and the votes by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteFile {
    pub ideas: Vec<String>,
    pub votes: Vec<(usize, usize)>,
}

/// Why a votes file was refused: the line (1-based) and what is wrong, in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteFileError {
    pub line: usize,
    pub message: String,
}

/// The records of a CSV text with the line each begins on, read by the `csv` crate:
/// quoted fields (with commas, doubled quotes and line breaks), CRLF or LF line ends, a
/// UTF-8 byte-order mark first (as Excel writes), blank lines skipped, fields trimmed. The
/// parser is lenient where a file is malformed, so each record's own text is checked: an
/// odd number of quotes in it is a quote left open (which would run on through the file)
/// or one inside an unquoted field, and is refused with the line it begins on.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, VoteFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let more = reader.read_record(&mut record).map_err(|e| VoteFileError {
            line: line_at(text, start),
            message: format!("not readable as CSV: {e}"),
        })?;
        if !more {
            break;
        }
        // The line the record begins on, past the blank lines the reader skipped (its own
        // count of lines passes over them).
        let skipped = text
            .get(start..)
            .unwrap_or("")
            .bytes()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        let line = line_at(text, start + skipped);
        let end = usize::try_from(reader.position().byte()).unwrap_or(usize::MAX);
        let raw = text.get(start..end.min(text.len())).unwrap_or("");
        if raw.matches('"').count() % 2 == 1 {
            return Err(VoteFileError {
                line,
                message: "a quote is not closed (or stands inside an unquoted field); quote a field whole, and double a quote inside it".into(),
            });
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.iter().any(|f| f.contains(['\n', '\r'])) {
            return Err(VoteFileError {
                line,
                message: "a quoted field spans more than one line; an idea id is one line".into(),
            });
        }
        out.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

/// The line (1-based) that byte `at` of `text` is on.
fn line_at(text: &str, at: usize) -> usize {
    1 + text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}

/// Reads `winner,loser` votes with a header line naming those two columns (others are
/// ignored). Ids are any non-empty text; an idea against itself is refused.
pub fn parse_vote_csv(text: &str) -> Result<VoteFile, VoteFileError> {
    let mut records = csv_records(text)?.into_iter();
    let Some((hline, cols)) = records.next() else {
        return Err(VoteFileError {
            line: 1,
            message: "the file is empty; expected a header line `winner,loser`".into(),
        });
    };
    let find = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (Some(wc), Some(lc)) = (find("winner"), find("loser")) else {
        return Err(VoteFileError {
            line: hline,
            message: format!(
                "the header must name the columns winner and loser, found: {}",
                cols.join(",")
            ),
        });
    };
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut ideas = Vec::new();
    let mut votes = Vec::new();
    for (n, f) in records {
        if f.len() != cols.len() {
            return Err(VoteFileError {
                line: n,
                message: format!("expected {} fields, found {}", cols.len(), f.len()),
            });
        }
        let (w, l) = (f[wc].clone(), f[lc].clone());
        if w.is_empty() || l.is_empty() {
            return Err(VoteFileError {
                line: n,
                message: "winner and loser must not be empty".into(),
            });
        }
        if w == l {
            return Err(VoteFileError {
                line: n,
                message: format!("an idea cannot win against itself ({w})"),
            });
        }
        let mut id = |s: String| {
            let next = ideas.len();
            *index.entry(s.clone()).or_insert_with(|| {
                ideas.push(s);
                next
            })
        };
        let (wi, li) = (id(w), id(l));
        votes.push((wi, li));
    }
    Ok(VoteFile { ideas, votes })
}

/// Reads the votes file and returns the CSV of standings, best first.
pub fn fit_file(path: &std::path::Path, alpha: f64) -> Result<String> {
    check_alpha(alpha)?;
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let file =
        parse_vote_csv(&text).map_err(|e| anyhow::anyhow!("{shown}:{}: {}", e.line, e.message))?;
    let c = Comparisons::from_votes(file.ideas.len(), &file.votes);
    let f = fit(&c, alpha, None);
    let mut out = String::from("idea,score,low,high,wins,losses\n");
    for s in standings(&c, &f) {
        // Printed, not a file of its own: no byte-order mark, but no formula either.
        let id = domain::export::cell(&file.ideas[s.item]);
        out.push_str(&format!(
            "{id},{:.2},{:.2},{:.2},{},{}\n",
            s.score, s.low, s.high, s.wins, s.losses
        ));
    }
    Ok(out)
}

pub fn simulate(
    ideas: usize,
    votes: usize,
    spread: f64,
    selector: &str,
    seed: u64,
    alpha: f64,
    points: u32,
) -> Result<String> {
    check_alpha(alpha)?;
    let Some(selector) = Selector::parse(selector) else {
        bail!("--selector must be uniform or adaptive, got {selector}");
    };
    if !(2..=100_000).contains(&ideas) {
        bail!("--ideas must be between 2 and 100000");
    }
    if !(1..=100_000_000).contains(&votes) {
        bail!("--votes must be between 1 and 100000000");
    }
    if !(spread.is_finite() && spread >= 0.0) {
        bail!("--spread must be a number of at least 0");
    }
    let cps = log_checkpoints(ideas.min(votes), votes, points);
    let mut out = String::from("votes,tau\n");
    for p in run_simulation(ideas, spread, selector, seed, alpha, &cps) {
        out.push_str(&format!("{},{:.4}\n", p.votes, p.tau));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_prints_best_first_and_names_a_bad_line() {
        let dir = std::env::temp_dir().join(format!("sluss-rank-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("votes.csv");
        std::fs::write(&good, "winner,loser\nb,a\nb,c\nc,a\nb,a\n").unwrap();
        let out = fit_file(&good, 0.1).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "idea,score,low,high,wins,losses");
        assert!(
            lines[1].starts_with("b,") && lines[1].ends_with(",3,0"),
            "{out}"
        );
        assert!(
            lines[3].starts_with("a,") && lines[3].ends_with(",0,3"),
            "{out}"
        );
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "winner,loser\nb,a\nb\n").unwrap();
        let err = fit_file(&bad, 0.1).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.csv:3: expected 2 fields, found 1"),
            "{err}"
        );
        assert!(fit_file(&good, 0.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn vote_files_are_read_and_bad_lines_named() {
        let ok = parse_vote_csv("winner,loser\na,b\n\nb,\"c\"\na,c\n").unwrap();
        assert_eq!(ok.ideas, ["a", "b", "c"]);
        assert_eq!(ok.votes, [(0, 1), (1, 2), (0, 2)]);
        let swapped = parse_vote_csv("time,loser,winner\n1,x,y\n").unwrap();
        assert_eq!(
            (swapped.ideas, swapped.votes),
            (vec!["y".to_string(), "x".to_string()], vec![(0, 1)])
        );
        for (text, line) in [
            ("", 1),
            ("a,b\n", 1),
            ("winner,loser\na,b\na\n", 3),
            ("winner,loser\na,b\n\nc,c\n", 4),
            ("winner,loser\n,b\n", 2),
        ] {
            assert_eq!(parse_vote_csv(text).unwrap_err().line, line, "{text:?}");
        }
    }

    /// A quoted id may hold a comma or a quote (as `fit` itself writes such ids).
    #[test]
    fn quoted_ids_keep_their_commas_and_quotes() {
        let f = parse_vote_csv(
            "winner,loser\n\"Idé 1, hemvård\",b\nb,\"sa \"\"hej\"\"\"\r\n\"Idé 1, hemvård\",\"sa \"\"hej\"\"\"\n",
        )
        .unwrap();
        assert_eq!(f.ideas, ["Idé 1, hemvård", "b", "sa \"hej\""]);
        assert_eq!(f.votes, [(0, 1), (1, 2), (0, 2)]);
    }

    /// Excel writes a UTF-8 byte-order mark first; it is not part of the header.
    #[test]
    fn a_byte_order_mark_is_read_past() {
        let f = parse_vote_csv("\u{FEFF}winner,loser\nå,ä\n").unwrap();
        assert_eq!(f.ideas, ["å", "ä"]);
        assert_eq!(f.votes, [(0, 1)]);
    }

    /// A quote that is never closed is refused with its line, not read as other ideas.
    #[test]
    fn an_unbalanced_quote_is_refused_with_its_line() {
        for (text, line) in [
            ("winner,loser\na,b\n\"c,d\ne,f\n", 3),
            ("winner,loser\na,b\nc,\"d\n", 3),
            ("winner,loser\n\"a,b\n", 2),
            ("winner,loser\na\"x,b\n", 2),
        ] {
            let e = parse_vote_csv(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.message.contains("quote"), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn fit_reads_its_own_output_ids() {
        let dir = std::env::temp_dir().join(format!("sluss-rank-ids-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("votes.csv");
        std::fs::write(&file, "\u{FEFF}winner,loser\n\"a, b\",c\n\"a, b\",c\n").unwrap();
        let out = fit_file(&file, 0.1).unwrap();
        assert!(
            out.lines().nth(1).unwrap().starts_with("\"a, b\","),
            "{out}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn simulate_prints_tau_at_log_spaced_counts() {
        let out = simulate(20, 400, 1.0, "adaptive", 3, 0.1, 2).unwrap();
        let rows: Vec<(usize, f64)> = out
            .lines()
            .skip(1)
            .map(|l| {
                let (v, t) = l.split_once(',').unwrap();
                (v.parse().unwrap(), t.parse().unwrap())
            })
            .collect();
        assert_eq!(rows.first().unwrap().0, 20);
        assert_eq!(rows.last().unwrap().0, 400);
        assert!(rows.windows(2).all(|w| w[1].0 > w[0].0));
        assert!(rows.last().unwrap().1 > 0.5, "{out}");
        assert_eq!(out, simulate(20, 400, 1.0, "adaptive", 3, 0.1, 2).unwrap());
        assert!(simulate(20, 400, 1.0, "clever", 3, 0.1, 2).is_err());
    }
}
