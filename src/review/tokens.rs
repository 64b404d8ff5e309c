//! The API tokens a report names for attention (`data/api_tokens-accounts.csv`
//! and the API token section): each live token whose owner has no access,
//! that is unused, or that expires soon, with its owner as `[privacy] names`
//! says and the active exception that names the owner or the owner's domain.

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;

use crate::insights::{tokens_needing_attention, Context, TokenAttention, TOKEN_IDLE_DAYS};
use crate::review::changes::{ChangeEntry, ChangeGroup, Changes};
use crate::review::controls::Excepted;
use crate::review::exceptions::{self, Review};
use crate::review::privacy::Privacy;
use crate::review::snapshot::Snapshot;
use crate::support::frame::{date_to_days, days_to_date, epoch_days, strings};

/// Where the list is written, relative to the report.
pub const FILE: &str = "data/api_tokens-accounts.csv";

/// One live token that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenToFix {
    pub token_id: String,
    pub label: String,
    pub account_id: String,
    /// The owner's, as `[privacy] names` shows it: from `accounts`, else as
    /// `api_tokens` gives it (an owner who left).
    pub email: String,
    /// Every reason, in words, separated by "; ".
    pub reasons: String,
    pub created: Option<NaiveDate>,
    pub last_active: Option<NaiveDate>,
    pub expires: Option<NaiveDate>,
    pub exception: Option<Excepted>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokensToFix {
    pub file: &'static str,
    pub tokens: Vec<TokenToFix>,
    /// Of those, tokens whose owner an active exception names.
    pub excepted: usize,
}

impl TokensToFix {
    /// The same tokens with the owners' emails as `privacy` shows them.
    pub fn concealed(&self, privacy: &Privacy) -> TokensToFix {
        let mut concealed = self.clone();
        for token in &mut concealed.tokens {
            token.email = privacy.email(&token.email);
        }
        concealed
    }
}

/// The tokens of the bundle that need attention; `None` without an
/// `api_tokens` table.
pub fn tokens_to_fix(
    ctx: &Context,
    snapshot: &Snapshot,
    review: &Review,
    privacy: &Privacy,
) -> PolarsResult<Option<TokensToFix>> {
    if ctx.api_tokens().is_none() {
        return Ok(None);
    }
    let tokens: Vec<TokenToFix> = tokens_needing_attention(ctx, TOKEN_IDLE_DAYS)?
        .into_iter()
        .map(|token| listed(token, snapshot, review, privacy))
        .collect();
    Ok(Some(TokensToFix {
        file: FILE,
        excepted: tokens.iter().filter(|t| t.exception.is_some()).count(),
        tokens,
    }))
}

pub(crate) fn listed(
    token: TokenAttention,
    snapshot: &Snapshot,
    review: &Review,
    privacy: &Privacy,
) -> TokenToFix {
    let owner = snapshot
        .accounts
        .binary_search_by(|a| a.account_id.as_str().cmp(&token.account_id))
        .ok()
        .map(|i| &snapshot.accounts[i]);
    // An owner who left is known only by the token's own address.
    let domain = match owner {
        Some(owner) => owner.domain.clone(),
        None => token
            .email
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_lowercase())
            .unwrap_or_default(),
    };
    let exception = exceptions::active_for_target(review, &token.account_id, &domain);
    TokenToFix {
        email: match owner {
            Some(owner) if !owner.email.is_empty() => owner.email.clone(),
            _ => privacy.email(&token.email),
        },
        reasons: token
            .reasons
            .iter()
            .map(|r| r.words())
            .collect::<Vec<_>>()
            .join("; "),
        exception: exception.map(|e| Excepted {
            reason: e.reason.clone(),
            expires: e.expires,
        }),
        token_id: token.token_id,
        label: token.label,
        account_id: token.account_id,
        created: token.created,
        last_active: token.last_active,
        expires: token.expires,
    }
}

/// Adds to `changes` the API tokens created after the previous report
/// (`since`) and by this one, by owner: a new token is a new way into the
/// organization. Nothing is added without an `api_tokens` table.
pub fn add_created(
    changes: &mut Changes,
    ctx: &Context,
    since: NaiveDate,
    snapshot: &Snapshot,
    privacy: &Privacy,
) -> PolarsResult<()> {
    let Some(tokens) = ctx.api_tokens() else {
        return Ok(());
    };
    let created = col("created").cast(DataType::Int32);
    let frame = tokens
        .filter(
            created
                .clone()
                .gt(lit(date_to_days(since)))
                .and(created.lt_eq(lit(date_to_days(ctx.as_of)))),
        )
        .sort(["account_id", "token_id"], Default::default())
        .collect()?;
    let (owners, labels, emails) = (
        strings(&frame, "account_id")?,
        strings(&frame, "label")?,
        strings(&frame, "email")?,
    );
    let days = epoch_days(&frame, "created")?;
    let entries = (0..frame.height())
        .map(|i| {
            let owner = snapshot
                .accounts
                .binary_search_by(|a| a.account_id.as_str().cmp(&owners[i]))
                .ok()
                .map(|at| &snapshot.accounts[at]);
            let email = match owner {
                Some(owner) => owner.email.clone(),
                None => privacy.email(&emails[i]),
            };
            let day = days[i].and_then(days_to_date).map(|d| d.to_string());
            ChangeEntry {
                account_id: owners[i].clone(),
                domain: email
                    .rsplit_once('@')
                    .map(|(_, d)| d.to_lowercase())
                    .unwrap_or_default(),
                email,
                detail: format!(
                    "API token \"{}\" created {}",
                    labels[i],
                    day.unwrap_or_default()
                ),
            }
        })
        .collect();
    changes.groups.push(ChangeGroup::new(
        "api_tokens_created",
        "New API tokens",
        entries,
    ));
    Ok(())
}
