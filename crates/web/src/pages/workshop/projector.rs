//! The screen a facilitator puts on the wall: the join code and QR code large, the phase as
//! a stepper, and the scores as a bar chart with their intervals — hand-written SVG drawn by
//! askama (a titled image per bar), with a legend and the same numbers as a table beside it,
//! no JavaScript.
//! The chart is shared with the facilitator's own screen.

use crate::pages::error::{Failing, PageResult};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::facilitator::qr_svg;
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::render_status;
use app::campaigns::{Lead, Ranked};
use domain::campaign::{Mode, Phase};

/// Bars drawn; the table lists every idea.
const MOST_BARS: usize = 12;
/// Characters of an idea shown as the bar's label (the table has the whole text).
const LABEL_CHARS: usize = 90;

/// One idea's bar. Positions are on the 0–100 scale, which is each bar's SVG coordinate
/// system (stretched to the width of its row, the strokes kept at their width).
pub struct Bar {
    pub rank: usize,
    pub label: String,
    pub score: String,
    pub low: String,
    pub high: String,
    pub top: bool,
    pub width: String,
    pub low_x: String,
    pub high_x: String,
}

/// The scores of a campaign's ideas as bars, best first. Words are HTML beside the SVG, not
/// SVG text: a contrast checker cannot judge text inside an image, and people can enlarge
/// and translate HTML.
pub struct ScoreChart {
    pub bars: Vec<Bar>,
    /// How many are taken forward (drawn filled).
    pub top: usize,
    /// Ideas not drawn (they are in the table).
    pub more: usize,
}

fn x_of(score: f64) -> String {
    format!("{:.1}", score.clamp(0.0, 100.0))
}

fn short(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= LABEL_CHARS {
        one_line
    } else {
        let cut: String = one_line.chars().take(LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

impl ScoreChart {
    pub fn new(ranked: &[Ranked], top_n: i64) -> Self {
        let top = top_n.max(1) as usize;
        let bars: Vec<Bar> = ranked
            .iter()
            .take(MOST_BARS)
            .enumerate()
            .map(|(i, r)| Bar {
                rank: i + 1,
                label: short(&r.idea.body),
                score: format!("{:.0}", r.score),
                low: format!("{:.0}", r.low),
                high: format!("{:.0}", r.high),
                top: i < top,
                width: x_of(r.score.max(0.5)),
                low_x: x_of(r.low),
                high_x: x_of(r.high),
            })
            .collect();
        Self {
            more: ranked.len().saturating_sub(bars.len()),
            bars,
            top,
        }
    }
}

/// Which words a campaign's pages use: a workshop's concepts, an open question's proposals.
pub fn mode_key(mode: &Mode) -> &'static str {
    match mode {
        Mode::Open => "open",
        Mode::Workshop => "workshop",
    }
}

/// Where each phase stands against the current one: done, current or upcoming.
pub fn phase_state(phases: &[Phase], current: &Phase, p: &Phase) -> &'static str {
    let at = phases.iter().position(|x| x == current);
    let this = phases.iter().position(|x| x == p);
    match (at, this) {
        (Some(a), Some(t)) if t < a => "done",
        (Some(a), Some(t)) if t == a => "current",
        _ => "upcoming",
    }
}

#[derive(Template)]
#[template(path = "workshop_projector.html")]
struct ProjectorPage<'a> {
    ctx: &'a Ctx,
    l: Lead,
    chart: ScoreChart,
    mode: &'static str,
    phases: &'static [Phase],
    join_url: String,
}

impl ProjectorPage<'_> {
    fn qr(&self) -> String {
        qr_svg(&self.join_url)
    }

    fn state_of(&self, p: &Phase) -> &'static str {
        phase_state(self.phases, &self.l.results.campaign.phase, p)
    }
}

/// The projector view of a campaign (its facilitators only, as the lead page).
pub async fn projector(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> PageResult {
    let l = app::campaigns::lead(&state.app, &ctx.caller, &code)
        .await
        .or_page(&ctx)?;
    let c = &l.results.campaign;
    let mode = mode_key(&c.mode);
    let phases = Phase::of(c.mode);
    let join_url = format!("{}/workshop?code={}", state.app.config.public_url, c.code);
    let chart = ScoreChart::new(&l.results.ranked, c.top_n);
    let page = ProjectorPage {
        ctx: &ctx,
        l,
        chart,
        mode,
        phases,
        join_url,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_idea_is_cut_at_a_word_with_an_ellipsis_and_a_short_one_is_kept() {
        assert_eq!(short("  Videobesök\n i hemmet "), "Videobesök i hemmet");
        let long = "ord ".repeat(40);
        let s = short(&long);
        assert!(s.ends_with('…'));
        assert!(s.chars().count() <= LABEL_CHARS);
    }

    #[test]
    fn scores_are_placed_on_the_scale_and_clamped_to_it() {
        assert_eq!(x_of(0.0), "0.0");
        assert_eq!(x_of(53.26), "53.3");
        assert_eq!(x_of(140.0), "100.0");
        assert_eq!(x_of(-3.0), "0.0");
    }

    #[test]
    fn phases_before_the_current_one_are_done_and_after_it_upcoming() {
        let phases = Phase::of(Mode::Workshop);
        let at = Phase::Voting;
        assert_eq!(phase_state(phases, &at, &Phase::Ideas), "done");
        assert_eq!(phase_state(phases, &at, &Phase::Voting), "current");
        assert_eq!(phase_state(phases, &at, &Phase::Results), "upcoming");
        assert_eq!(mode_key(&Mode::Open), "open");
        assert_eq!(mode_key(&Mode::Workshop), "workshop");
    }
}
