//! `sluss process validate`: a process template file checked, every problem named with
//! its line and field.

use anyhow::Result;

use crate::cli::ProcessCommand;

/// Checks one template file: a summary if it is valid, else one line per problem.
fn validate_template(file: &std::path::Path) -> std::result::Result<String, String> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    match domain::process::parse_template(&text) {
        Ok(t) => Ok(format!(
            "{shown}: valid – {} (version {}): {} phases, {} steps, {} checklist items, {} paths",
            t.name,
            t.version,
            t.phases.len(),
            t.step_count(),
            t.item_count(),
            t.paths.len()
        )),
        Err(errors) => Err(errors
            .iter()
            .map(|e| {
                format!(
                    "{shown}:{}:{}: {}: {}",
                    e.line,
                    e.column,
                    e.field,
                    e.message()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// `sluss process validate FILE`: the summary on stdout, or the problems on stderr and an error.
pub fn run(command: ProcessCommand) -> Result<()> {
    match command {
        ProcessCommand::Validate { file } => match validate_template(&file) {
            Ok(summary) => {
                println!("{summary}");
                Ok(())
            }
            Err(problems) => {
                eprintln!("{problems}");
                anyhow::bail!("{} is not a valid process template", file.display())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_validate_names_file_line_and_field() {
        let dir = std::env::temp_dir().join(format!("sluss-validate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in domain::process::BUILT_IN {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            let summary = validate_template(&path).unwrap();
            assert!(
                summary.contains("valid") && summary.contains("phases"),
                "{summary}"
            );
        }
        let broken = dir.join("broken.toml");
        let text = domain::process::BUILT_IN[0].1.replacen(
            "role = \"decision_maker\"",
            "role = \"chief\"",
            1,
        );
        std::fs::write(&broken, &text).unwrap();
        let problems = validate_template(&broken).unwrap_err();
        let line = text.lines().position(|l| l.contains("\"chief\"")).unwrap() + 1;
        assert!(
            problems.starts_with(&format!(
                "{}:{line}:8: phases[1].gate.role: is not a role",
                broken.display()
            )),
            "{problems}"
        );
        assert!(
            validate_template(&dir.join("missing.toml"))
                .unwrap_err()
                .contains("cannot read")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
