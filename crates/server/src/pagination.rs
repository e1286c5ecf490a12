//! `?limit=` and `?after=` for every list, and the `{items, next}` page
//! they answer with.

use aftercare_store::PageRequest;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::QueryParams;

/// The largest page.
const MAX_LIMIT: u32 = 200;

/// Which page of a list to read.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// At most this many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page; empty means the first page.
    #[param(
        value_type = Option<String>,
        pattern = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
    )]
    after: Option<IdCursor>,
}

/// The cursor of a list in id order: the id of the last item of the
/// previous page. Ids are UUIDs, so the cursor is read as one here and the
/// store is given its canonical text, never what was sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdCursor(uuid::Uuid);

impl IdCursor {
    /// Reads a cursor: a UUID in its hyphenated form (as `next` gives it).
    fn parse(text: &str) -> Option<IdCursor> {
        (text.len() == 36)
            .then(|| uuid::Uuid::try_parse(text).ok())
            .flatten()
            .map(IdCursor)
    }
}

impl PageParams {
    /// The query parameters this reads.
    pub(crate) const NAMES: [&'static str; 2] = ["limit", "after"];

    /// Takes `limit` and `after` from the query.
    pub(crate) fn take(query: &mut QueryParams) -> Result<PageRequest, ApiError> {
        let limit = take_limit(query)?;
        let after = match query.take("after")?.as_deref() {
            None | Some("") => None,
            Some(text) => Some(IdCursor::parse(text).ok_or_else(not_a_cursor)?),
        };
        let params = PageParams { limit, after };
        Ok(PageRequest {
            limit: params.limit,
            after: params.after.map(|IdCursor(id)| id.hyphenated().to_string()),
        })
    }
}

/// Which page of a list ordered by something other than id (alerts by
/// seriousness), whose cursor is a position.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PositionPageParams {
    /// At most this many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next` cursor of the previous page.
    #[param(value_type = Option<String>, pattern = "^[0-9]{1,9}$")]
    after: Option<u32>,
}

impl PositionPageParams {
    /// Takes `limit` and `after` from the query.
    pub(crate) fn take(query: &mut QueryParams) -> Result<PageRequest, ApiError> {
        let limit = take_limit(query)?;
        let after = match query.take("after")? {
            None => None,
            Some(text) => {
                let is_position =
                    (1..=9).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit());
                let position = is_position.then(|| text.parse::<u32>().ok()).flatten();
                Some(position.ok_or_else(not_a_cursor)?)
            }
        };
        let params = PositionPageParams { limit, after };
        Ok(PageRequest {
            limit: params.limit,
            after: params.after.map(|position| position.to_string()),
        })
    }
}

/// The refusal of a cursor that no page ever gave.
fn not_a_cursor() -> ApiError {
    ApiError::invalid("after", "the `next` cursor of a previous page")
}

/// Takes `limit`, 1 to 200, from the query.
fn take_limit(query: &mut QueryParams) -> Result<Option<u32>, ApiError> {
    let Some(text) = query.take("limit")? else {
        return Ok(None);
    };
    text.parse::<u32>()
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .map(Some)
        .ok_or_else(|| ApiError::invalid("limit", format!("a whole number from 1 to {MAX_LIMIT}")))
}

/// One page of a list, with the cursor of the next.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T> {
    /// The items of this page.
    pub(crate) items: Vec<T>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub(crate) next: Option<String>,
}

impl<T> Page<T> {
    /// A page of views made from a page of stored records.
    pub(crate) fn of<R>(page: aftercare_store::Page<R>, view: impl Fn(R) -> T) -> Page<T> {
        Page {
            items: page.items.into_iter().map(view).collect(),
            next: page.next,
        }
    }
}
