//! The harness's one table: a row per figure, each beside the limit it is measured
//! against (its ratio, and whether a target holds), and how figures are written.

#[derive(Default)]
pub struct Table {
    pub rows: Vec<[String; 9]>,
    pub missed: usize,
}

/// A figure beside its limit: the ratio figure ÷ limit, and whether a target holds.
pub struct Against {
    limit: String,
    ratio: Option<f64>,
    target: Option<bool>,
}

pub fn against(limit: impl Into<String>, ratio: f64, target: Option<bool>) -> Against {
    Against {
        limit: limit.into(),
        ratio: Some(ratio),
        target,
    }
}

pub fn itself() -> Against {
    Against {
        limit: "(is a limit)".into(),
        ratio: None,
        target: None,
    }
}

impl Table {
    pub fn row(&mut self, backend: &str, scenario: &str, measured: [String; 4], a: Against) {
        let [rate, p50, p99, errors] = measured;
        if a.target == Some(false) {
            self.missed += 1;
        }
        self.rows.push([
            backend.into(),
            scenario.into(),
            rate,
            p50,
            p99,
            errors,
            a.limit,
            a.ratio.map_or("—".into(), |r| format!("{r:.2}")),
            match a.target {
                Some(true) => "met".into(),
                Some(false) => "MISSED".into(),
                None => "—".into(),
            },
        ]);
    }
}

pub fn ms(x: f64) -> String {
    format!("{x:.1} ms")
}
