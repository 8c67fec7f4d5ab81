//! Listing findings for a caller: the store's filters, the risk filters and order (as
//! `posture findings`), the caller's scope, and keyset pagination with an opaque cursor.
//!
//! Pages come from the store ([`page_findings`]): the stored risk orders them and a keyset
//! cursor (the last position of the previous page, never an offset) continues them, so a page
//! costs the same at a hundred findings or a million. Counts come from the store's summary
//! (`overview::count_matching`), not from listing everything.

use crate::Shared;
use crate::auth::Scope;
use crate::error::ApiError;
use posture_app::risk::AssessedFinding;
use posture_app::sla::SlaState;
use posture_model::{Category, FindingStatus, Severity};
use posture_store::{EventQuery, FindingCursor, FindingQuery, FindingSearch, FindingSort, Right};

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The store's order: severity, highest first, then id.
    Severity,
    /// Risk score, highest first, then id (as `posture findings --sort risk`).
    Risk,
}

/// What to list (every field optional; `status` defaults to open).
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub asset: Option<String>,
    /// A branch view (`?branch=B`): the findings open on that branch; `None`: the default
    /// branches' findings.
    pub branch: Option<String>,
    pub status: Option<Vec<FindingStatus>>,
    pub severity: Vec<Severity>,
    pub tool: Option<String>,
    pub category: Option<Category>,
    pub bands: Vec<String>,
    pub team: Option<String>,
    pub kev: bool,
    pub reachable: bool,
    pub ssvc: Vec<String>,
    pub risk_order: bool,
    /// Text, vulnerability id, package, path and time of change, applied in SQL.
    pub search: FindingSearch,
    /// SLA states (within, due-soon, breached, paused, none); empty: any.
    pub sla: Vec<SlaState>,
}

fn words(text: Option<&str>) -> Vec<String> {
    text.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Text parameters, as the CLI's flags (comma-separated lists), into a filter.
#[allow(clippy::too_many_arguments)]
pub fn parse_filter(
    asset: Option<&str>,
    status: Option<&str>,
    severity: Option<&str>,
    tool: Option<&str>,
    category: Option<&str>,
    band: Option<&str>,
    team: Option<&str>,
    kev: bool,
    reachable: bool,
    ssvc: Option<&str>,
    sort: Option<&str>,
) -> Result<FindingFilter, ApiError> {
    let bad = |e: String| ApiError::BadRequest(e);
    let nonempty = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let status_words = words(status);
    let status = if status_words.is_empty() {
        Some(vec![FindingStatus::Open])
    } else if status_words.iter().any(|w| w.eq_ignore_ascii_case("all")) {
        None
    } else {
        Some(
            status_words
                .iter()
                .map(|w| {
                    w.parse::<FindingStatus>()
                        .map_err(|e| bad(format!("status: {e}")))
                })
                .collect::<Result<_, _>>()?,
        )
    };
    let severity = words(severity)
        .iter()
        .map(|w| {
            w.parse::<Severity>()
                .map_err(|e| bad(format!("severity: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let category = nonempty(category)
        .map(|c| {
            c.parse::<Category>()
                .map_err(|e| bad(format!("category: {e}")))
        })
        .transpose()?;
    let bands: Vec<String> = words(band).iter().map(|b| b.to_ascii_uppercase()).collect();
    if let Some(b) = bands
        .iter()
        .find(|b| !["P1", "P2", "P3", "P4"].contains(&b.as_str()))
    {
        return Err(bad(format!(
            "unknown band `{b}` (bands are P1, P2, P3, P4)"
        )));
    }
    let ssvc: Vec<String> = words(ssvc).iter().map(|d| d.to_ascii_lowercase()).collect();
    if let Some(d) = ssvc
        .iter()
        .find(|d| !["track", "track*", "attend", "act"].contains(&d.as_str()))
    {
        return Err(bad(format!(
            "unknown SSVC decision `{d}` (decisions are track, track*, attend, act)"
        )));
    }
    let risk_order = match nonempty(sort).as_deref() {
        None | Some("severity") => false,
        Some("risk") => true,
        Some(other) => return Err(bad(format!("unknown sort `{other}` (risk or severity)"))),
    };
    Ok(FindingFilter {
        asset: nonempty(asset),
        branch: None,
        status,
        severity,
        tool: nonempty(tool),
        category,
        bands,
        team: nonempty(team),
        kev,
        reachable,
        ssvc,
        risk_order,
        search: FindingSearch::default(),
        sla: Vec::new(),
    })
}

/// The search parameters (`q`, `cve`, `package`, `path`, `updated_after`, `sla`) into a
/// filter: empty texts are no filter; a bad time or SLA state is a 400 naming the parameter.
pub fn parse_search(
    filter: &mut FindingFilter,
    q: Option<&str>,
    cve: Option<&str>,
    package: Option<&str>,
    path: Option<&str>,
    updated_after: Option<&str>,
    sla: Option<&str>,
) -> Result<(), ApiError> {
    let text = |s: Option<&str>, name: &str| -> Result<Option<String>, ApiError> {
        let Some(t) = s.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if t.chars().count() > 200 {
            return Err(ApiError::BadRequest(format!(
                "{name}: at most 200 characters"
            )));
        }
        Ok(Some(t.to_string()))
    };
    filter.search = FindingSearch {
        text: text(q, "q")?,
        vulnerability: text(cve, "cve")?,
        package: text(package, "package")?,
        path: text(path, "path")?,
        changed_since: text(updated_after, "updated_after")?
            .map(|t| {
                posture_app::workflow::parse_date_or_time(&t).map_err(|e| {
                    ApiError::BadRequest(format!(
                        "updated_after: {e} (a date YYYY-MM-DD or an RFC 3339 time)"
                    ))
                })
            })
            .transpose()?,
    };
    filter.sla = words(sla)
        .iter()
        .map(|w| {
            w.parse::<SlaState>()
                .map_err(|e| ApiError::BadRequest(format!("sla: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(())
}

impl FindingFilter {
    /// The work still to do (open, confirmed, in progress), riskiest first: an asset's or a
    /// team's queue.
    pub fn work_queue() -> Self {
        FindingFilter {
            status: Some(vec![
                FindingStatus::Open,
                FindingStatus::Confirmed,
                FindingStatus::InProgress,
            ]),
            risk_order: true,
            ..Default::default()
        }
    }

    pub fn sort(&self) -> Sort {
        if self.risk_order {
            Sort::Risk
        } else {
            Sort::Severity
        }
    }
}

/// One page of a list.
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// How many rows one store read fetches while filling a page whose filters the store cannot
/// apply itself (scope, SSVC, KEV, reachability): a page's worth and a margin.
fn chunk_for(limit: usize) -> usize {
    (limit + 1).max(64)
}

fn encode_store_cursor(sort: Sort, c: &FindingCursor) -> String {
    let tag = match sort {
        Sort::Risk => 'R',
        Sort::Severity => 'S',
    };
    let key = c
        .key
        .map(f64::to_bits)
        .map_or("-".to_string(), |k| k.to_string());
    hex::encode(format!("{tag}:{key}:{}", c.id))
}

fn decode_store_cursor(cursor: &str, sort: Sort) -> Result<FindingCursor, ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "cursor `{cursor}` is not a cursor of this list (take next_cursor from the previous page, with the same sort)"
        ))
    };
    let text = hex::decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let mut parts = text.splitn(3, ':');
    let expected = match sort {
        Sort::Risk => "R",
        Sort::Severity => "S",
    };
    if parts.next() != Some(expected) {
        return Err(bad());
    }
    let key = match parts.next().ok_or_else(bad)? {
        "-" => None,
        k => Some(f64::from_bits(k.parse().map_err(|_| bad())?)),
    };
    let id = parts.next().and_then(|k| k.parse().ok()).ok_or_else(bad)?;
    Ok(FindingCursor { key, id })
}

/// One page of findings the caller may read, in the filter's order, read page by page from
/// the store: the stored risk (brought up to date first, cheap when nothing changed) orders
/// and filters by band and team in SQL with keyset pagination, so the cost of a page does
/// not grow with the portfolio. Only the page's findings are assessed (for the explanation
/// shown with each); filters the store cannot apply are applied to successive chunks.
pub fn page_findings(
    shared: &Shared,
    scope: &Scope<'_>,
    filter: &FindingFilter,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<AssessedFinding>, ApiError> {
    scope.require(Right::Read)?;
    if let Some(asset) = &filter.asset
        && !scope.may_read_asset(asset)
        && scope.reads_everything()
    {
        return Err(ApiError::Forbidden(format!(
            "asset {asset} is out of your scope"
        )));
    }
    // Uploads refresh after their ingest; a refresh already running is not waited for (what
    // it has not stored yet is listed as "to assess", last in risk order).
    shared
        .risk_refresh
        .refresh_if_idle(shared.store.as_ref(), shared.portfolio.as_ref())?;
    let limit = limit.max(1);
    let sort = filter.sort();
    let store_sort = match sort {
        Sort::Risk => FindingSort::Risk,
        Sort::Severity => FindingSort::Severity,
    };
    let mut after = cursor
        .filter(|c| !c.trim().is_empty())
        .map(|c| decode_store_cursor(c, sort))
        .transpose()?;
    let mut items: Vec<AssessedFinding> = Vec::with_capacity(limit + 1);
    let chunk = chunk_for(limit);
    loop {
        let rows = shared.store.findings(&FindingQuery {
            asset: filter.asset.clone(),
            branch: match &filter.branch {
                Some(b) => posture_store::BranchFilter::Only(b.clone()),
                None => posture_store::BranchFilter::Default,
            },
            status: filter.status.clone(),
            severity: (!filter.severity.is_empty()).then(|| filter.severity.clone()),
            tool: filter.tool.clone(),
            category: filter.category,
            band: (!filter.bands.is_empty()).then(|| filter.bands.clone()),
            team: filter.team.clone(),
            sort: store_sort,
            after,
            limit: Some(chunk),
            search: filter.search.clone(),
            without_occurrences: false,
        })?;
        let exhausted = rows.len() < chunk;
        after = rows.last().map(|f| FindingCursor::after(f, store_sort));
        let slas = sla_states(shared, &filter.sla, &rows)?;
        let assessed = posture_app::risk::assess_findings(
            shared.store.as_ref(),
            shared.portfolio.as_ref(),
            rows,
        )?;
        for f in assessed {
            let keep = scope.may_read_finding(&f)
                && slas.as_ref().is_none_or(|s| {
                    s.get(&f.finding.id)
                        .is_some_and(|st| filter.sla.contains(st))
                })
                && (filter.ssvc.is_empty()
                    || filter
                        .ssvc
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(f.risk.ssvc.decision.as_str())))
                && (!filter.kev || f.in_kev)
                && (!filter.reachable || f.reachable);
            if keep {
                items.push(f);
                if items.len() > limit {
                    break;
                }
            }
        }
        if items.len() > limit || exhausted || after.is_none() {
            break;
        }
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .map(|f| encode_store_cursor(sort, &FindingCursor::after(&f.finding, store_sort)))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// The SLA state of each of `rows` now (the policy's budgets, else the defaults), when the
/// filter asks for SLA states; `None` when it does not.
fn sla_states(
    shared: &Shared,
    wanted: &[SlaState],
    rows: &[posture_store::FindingRecord],
) -> Result<Option<std::collections::HashMap<i64, SlaState>>, ApiError> {
    if wanted.is_empty() {
        return Ok(None);
    }
    if rows.is_empty() {
        return Ok(Some(Default::default()));
    }
    let now = shared.clock.now();
    let events = shared.store.event_log(&EventQuery {
        finding_ids: Some(rows.iter().map(|f| f.id).collect()),
        ..EventQuery::default()
    })?;
    let mut by_finding: std::collections::HashMap<i64, Vec<posture_store::EventRecord>> =
        Default::default();
    for e in events {
        by_finding.entry(e.finding_id).or_default().push(e);
    }
    let rule = posture_app::policy::sla_rule(
        shared.store.as_ref(),
        shared.portfolio.as_ref(),
        shared.policy()?,
        rows,
        now,
    )?;
    let empty = Vec::new();
    Ok(Some(
        rows.iter()
            .map(|f| {
                let events = by_finding.get(&f.id).unwrap_or(&empty);
                (
                    f.id,
                    posture_app::sla::sla_at(f, events, rule.as_ref(), now).state,
                )
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_cursors_round_trip_and_refuse_other_orders() {
        for c in [
            FindingCursor {
                key: Some(42.5),
                id: 7,
            },
            FindingCursor { key: None, id: 9 },
        ] {
            let text = encode_store_cursor(Sort::Risk, &c);
            assert_eq!(decode_store_cursor(&text, Sort::Risk).ok(), Some(c));
            assert!(decode_store_cursor(&text, Sort::Severity).is_err());
        }
        assert!(decode_store_cursor("zz", Sort::Risk).is_err());
        assert!(decode_store_cursor(&hex::encode("R:x:1"), Sort::Risk).is_err());
    }
}
