//! The JSON API v1 for cases: list and open, one case with its checklist and decisions,
//! ticks, gate decisions, the path, results, the working group, the event log, and the
//! public register. Same conventions as the rest of v1 (see `api`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{bad_json, bearer, fail, json_body};
use crate::ctx::api_lang_of;
use crate::i18n::Tr;
use app::cases::{
    BoardQuery, CaseView, DecideInput, DetailsInput, DiariumQuery, MemberInput, OpenInput,
    PathInput, ResultInput, TickInput,
};
use app::{AppError, Caller};
use domain::case::{CaseEvent, CaseState};
use store::cases::CaseRow;
use store::events::EventRow;

fn case_json(c: &CaseRow) -> Value {
    json!({
        "id": c.id,
        "reference": c.reference,
        "title": c.title,
        "public_title": c.public_title,
        "organisation": { "id": c.org_id, "name": c.org_name },
        "template": { "id": c.template_id, "key": c.template_key, "version": c.template_version },
        "handler": c.handler_id.as_ref().map(|id| json!({ "id": id, "name": c.handler_name })),
        "phase": c.phase_key,
        "status": c.status,
        "vagval": c.vagval,
        "next_due_at": c.next_due_at,
        "confidential": c.confidential,
        "legal_ground": c.legal_ground,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

fn state_json(s: &CaseState, v: &CaseView) -> Value {
    let t = &v.template;
    let phase = &t.phases[s.phase.min(t.phases.len() - 1)];
    json!({
        "phase": phase.key,
        "phase_name": phase.name,
        "status": s.status.as_str(),
        "vagval": s.vagval.map(|x| x.as_str()),
        "gate": { "name": phase.gate.name, "role": phase.gate.role.as_str(), "requires_handover": phase.gate.requires_handover },
        "open_required_items": s.open_required(t).iter().map(|(st, it)| json!({ "step": st, "item": it })).collect::<Vec<_>>(),
        "checklist": s.steps(t, s.phase).iter().map(|st| json!({
            "step": st.key,
            "name": st.name,
            "due_days": st.due_days,
            "items": st.items.iter().map(|i| {
                let tick = s.ticked.get(&(st.key.clone(), i.key.clone()));
                json!({
                    "item": i.key,
                    "text": i.text,
                    "required": i.required,
                    "done": tick.is_some(),
                    "by": tick.map(|x| x.by.clone()),
                    "note": tick.and_then(|x| x.note.clone()),
                })
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "decisions": s.decisions.iter().filter_map(|d| match d {
            CaseEvent::GateDecided { phase, decision, by, role, rationale, override_reason, open_items } => Some(json!({
                "phase": phase, "decision": decision.as_str(), "by": by, "role": role.as_str(),
                "rationale": rationale, "override_reason": override_reason,
                "open_items": open_items.iter().map(|(st, it)| json!({ "step": st, "item": it })).collect::<Vec<_>>(),
            })),
            _ => None,
        }).collect::<Vec<_>>(),
        "result": {
            "adopted_by": s.adopted.iter().map(|o| json!({ "id": o, "name": v.unit_name(o) })).collect::<Vec<_>>(),
            "measures": s.measures.iter().map(|m| json!({ "name": m.name, "unit": m.unit, "before": m.before, "after": m.after })).collect::<Vec<_>>(),
            "handover": s.handover.as_ref().map(|h| json!({ "receiver": h.receiver, "note": h.note, "by": h.by })),
        },
    })
}

fn event_json(e: &EventRow) -> Value {
    json!({
        "id": e.id,
        "occurred_at": e.occurred_at,
        "actor": { "kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name },
        "kind": e.kind,
        "payload": serde_json::from_str::<Value>(&e.payload).unwrap_or(Value::Null),
    })
}

async fn caller_and_tr(state: &AppState, headers: &HeaderMap) -> (Tr, Result<Caller, AppError>) {
    let tr = Tr::new(api_lang_of(headers));
    (tr, bearer(state, headers).await)
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<BoardQuery>,
) -> Response {
    let (tr, caller) = caller_and_tr(&state, &headers).await;
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::cases::board(&state.app, &caller, &q, false).await {
        Ok(b) => {
            let items: Vec<Value> = b
                .lanes
                .iter()
                .flat_map(|l| l.columns.iter().flat_map(|c| &c.cases).chain(&l.finished))
                .map(case_json)
                .collect();
            Json(json!({ "items": items, "total": b.total })).into_response()
        }
        Err(e) => fail(&tr, e),
    }
}

pub async fn open(State(state): State<AppState>, headers: HeaderMap, b: Bytes) -> Response {
    let (tr, caller) = caller_and_tr(&state, &headers).await;
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(input) = json_body::<OpenInput>(&b) else {
        return bad_json(&tr);
    };
    match app::cases::open(&state.app, &caller, &input).await {
        Ok((id, reference)) => (
            StatusCode::CREATED,
            Json(json!({ "id": id, "reference": reference })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

async fn full(
    state: &AppState,
    caller: &Caller,
    tr: &Tr,
    id: &str,
    status: StatusCode,
) -> Response {
    match app::cases::view(&state.app, caller, id).await {
        Ok(v) => {
            let mut out = case_json(&v.case);
            out["description"] = json!(v.case.description);
            out["process"] = state_json(&v.state, &v);
            out["members"] = v
                .members
                .iter()
                .map(|m| json!({ "id": m.id, "user_id": m.user_id, "name": m.name, "function": m.function_key }))
                .collect();
            out["submissions"] = v
                .submissions
                .iter()
                .map(|s| json!({ "id": s.id, "reference": s.reference, "status": s.status }))
                .collect();
            (status, Json(out)).into_response()
        }
        Err(e) => fail(tr, e),
    }
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (tr, caller) = caller_and_tr(&state, &headers).await;
    match caller {
        Ok(c) => full(&state, &c, &tr, &id, StatusCode::OK).await,
        Err(e) => fail(&tr, e),
    }
}

pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (tr, caller) = caller_and_tr(&state, &headers).await;
    let caller = match caller {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::cases::events_of(&state.app, &caller, &id).await {
        Ok(events) => Json(json!({ "items": events.iter().map(event_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

/// One change to a case: the body is read as `T`, the use case runs, and the answer is the
/// case as it now stands.
macro_rules! change {
    ($name:ident, $input:ty, $call:path) => {
        pub async fn $name(
            State(state): State<AppState>,
            headers: HeaderMap,
            Path(id): Path<String>,
            b: Bytes,
        ) -> Response {
            let (tr, caller) = caller_and_tr(&state, &headers).await;
            let caller = match caller {
                Ok(c) => c,
                Err(e) => return fail(&tr, e),
            };
            let Some(input) = json_body::<$input>(&b) else {
                return bad_json(&tr);
            };
            match $call(&state.app, &caller, &id, &input).await {
                Ok(_) => full(&state, &caller, &tr, &id, StatusCode::OK).await,
                Err(e) => fail(&tr, e),
            }
        }
    };
}

change!(tick, TickInput, app::cases::tick);
change!(decide, DecideInput, app::cases::decide);
change!(path, PathInput, app::cases::choose_path);
change!(result, ResultInput, app::cases::record_result);
change!(member, MemberInput, app::cases::member);
change!(details, DetailsInput, app::cases::edit);

pub async fn diarium(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DiariumQuery>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    match app::cases::diarium(&state.app, &q).await {
        Ok(p) => Json(json!({
            "items": p.entries.iter().map(|e| {
                let r = &e.row;
                json!({
                    "type": r.entry_type,
                    "reference": r.reference,
                    "registered_at": r.registered_at,
                    "organisation": r.org_name,
                    "heading": if r.entry_type == "case" && r.confidential { Value::Null } else { json!(r.heading) },
                    "status": r.status,
                    "phase": e.phase_name,
                    "confidential": r.confidential,
                    "legal_ground": r.legal_ground,
                })
            }).collect::<Vec<_>>(),
            "total": p.total,
            "page": p.page,
            "pages": p.pages,
        }))
        .into_response(),
        Err(e) => fail(&tr, e),
    }
}
