"""Schemathesis hooks for Sluss (loaded by scripts/schemathesis.sh).

Each operation is called as a caller who may use it: the administrator's bearer token for
most, the decision maker's for gate and path decisions (the gates of Spelplanen name that
role), and a participant's token for what only participants do. Identifiers that must name
something (a campaign, a case, a submission, a user and their token, an idea, a unit, a template, an offer of a
pair, a case of its own for gate decisions, which may close it) are those of the data the
script set up, so that generated requests reach each operation's logic instead of stopping at
401, 403 or 404. The other fields stay generated, without the characters Sluss refuses in
every text field; a result gets what its kind needs. The hooks run right before each request,
so the schema's examples get the same.
"""

import json
import os
import urllib.request

import schemathesis

SETUP = json.loads(os.environ["SLUSS_SCHEMATHESIS_SETUP"])

PARTICIPANT_OPERATIONS = ("/pair", "/votes", "/scores", "/flag")


def _is_participant_operation(path):
    return path.endswith(PARTICIPANT_OPERATIONS)


@schemathesis.auth(refresh_interval=None, retry_on=[])
class SlussAuth:
    def get(self, case, ctx):
        return SETUP

    def set(self, case, data, ctx):
        path = case.operation.path
        if case.headers is None:
            case.headers = {}
        if path.endswith("/scores"):
            case.headers["X-Participant-Token"] = data["scorer"]
            case.headers.pop("Authorization", None)
        elif _is_participant_operation(path):
            case.headers["X-Participant-Token"] = data["participant"]
            case.headers.pop("Authorization", None)
        elif path.endswith(("/decisions", "/path")):
            case.headers["Authorization"] = "Bearer " + data["decision_maker"]
        else:
            case.headers["Authorization"] = "Bearer " + data["admin"]


def _fit_path_parameters(path, params):
    if not params:
        return params
    if "id" in params:
        if path.startswith("/api/v1/users/"):
            params["id"] = SETUP["member_user"]
        elif path.startswith("/api/v1/tokens/"):
            params["id"] = SETUP["member_token"]
        elif path.startswith("/api/v1/submissions/"):
            params["id"] = SETUP["submission"]
        elif path.endswith(("/decisions", "/path")):
            # Gate decisions may close a case: they get one of their own.
            params["id"] = SETUP["decided_case"]
        else:
            params["id"] = SETUP["case"]
    if "code" in params:
        params["code"] = SETUP["scoring"] if path.endswith("/scores") else SETUP["code"]
    if "idea" in params:
        params["idea"] = SETUP["idea"]
    return params


def _get(path, headers=None):
    request = urllib.request.Request(SETUP["base"] + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except Exception:
        return None


_CRITERIA = []


def _criteria():
    """The ids of the scoring workshop's criteria."""
    if not _CRITERIA:
        campaign = _get("/api/v1/campaigns/" + SETUP["scoring"]) or {}
        _CRITERIA.extend(c["id"] for c in campaign.get("criteria", []))
    return _CRITERIA


# Sluss refuses control characters, characters that hide or reorder text, and markup in every
# text field (crates/web/tests/api/bad_input.rs sends all of those); generated text is kept
# free of them so that it can be accepted.
_HIDDEN = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200b\u200e\u200f\u2060\ufeff")


def _clean(value):
    if isinstance(value, str):
        return "".join(c for c in value if c.isprintable() and c not in _HIDDEN and c != "<")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _fresh_offer():
    """The offer of the participant's next pair (each offer takes one vote)."""
    pair = _get(
        "/api/v1/campaigns/" + SETUP["code"] + "/pair",
        headers={"X-Participant-Token": SETUP["participant"]},
    )
    return pair.get("offer_id") if isinstance(pair, dict) else None


def _fit_body(path, body):
    if not isinstance(body, dict):
        return body
    body = _clean(body)
    for field in ("organisation", "unit"):
        if field in body:
            body[field] = SETUP["unit"]
    if "template" in body:
        body["template"] = "spelplanen"
    if "function" in body:
        body["function"] = "testa"
    if path.endswith("/phase"):
        body["phase"] = "open"
    if path.endswith("/checklist"):
        body["step"], body["item"] = SETUP["step"], SETUP["item"]
    if path.endswith("/votes"):
        offer = _fresh_offer()
        if offer is not None:
            body["offer_id"] = offer
    if path.endswith("/scores"):
        body["idea_id"] = SETUP["scored"]
        given = body.get("scores")
        scores = [v for v in given.values() if isinstance(v, int)] if isinstance(given, dict) else []
        body["scores"] = {c: (scores[i % len(scores)] if scores else 3) for i, c in enumerate(_criteria())}
    if path.endswith("/result") and isinstance(body.get("kind"), str):
        # What each kind of result needs (the schema cannot say it per kind): a measure has a
        # name, a unit and numbers before and after; a handover a receiver and a note.
        needs = {
            "measure": {"name": "Väntetid", "measure_unit": "min"},
            "handover": {"receiver": "Vårdcentralen Norr", "note": "Överlämnad till förvaltningen."},
        }.get(body.get("kind"), {})
        for field, value in needs.items():
            if not isinstance(body.get(field), str) or len(body[field].strip()) < 3:
                body[field] = value
        if body.get("kind") == "adopt":
            body["unit"] = SETUP["unit"]
        if body.get("kind") == "measure":
            body["before"], body["after"] = "12", "7,5"
    # Ids of people and of earlier submissions: generated ones name nobody and nothing.
    for field in ("handler", "user_id", "remove", "submissions", "duplicate_of"):
        body.pop(field, None)
    return body



@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """Right before each request, in every phase (the schema's examples too): the identifiers
    of the set-up data, a fresh offer for a vote, and text Sluss can accept."""
    path = case.operation.path
    case.path_parameters = _fit_path_parameters(path, case.path_parameters)
    case.body = _fit_body(path, case.body)
