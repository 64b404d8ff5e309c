//! The shapes of the Organizations REST API that `pull` reads. Field names
//! are those of Atlassian's published spec, as the clients generated from
//! it spell them (jira.js, `src/admin/models/`: `multiDirectoryUser.ts`,
//! `multiDirectoryProductAccess.ts`, `multiDirectoryUserSearchPage.ts`,
//! `linkPageCursor.ts`, `domainPage.ts`, `domainModel.ts`, `orgPage.ts`,
//! `orgModel.ts`, `claimStatus.ts`, `accountStatus.ts`,
//! `membershipStatus.ts`). Every field is optional here: a field the API
//! leaves out is a default, not a failed pull.

use serde::Deserialize;

/// `POST /admin/v2/orgs/{orgId}/directories/-/users/search`.
pub const USERS_SEARCH: &str = "/admin/v2/orgs/{orgId}/directories/-/users/search";
/// `GET /admin/v1/orgs/{orgId}/domains`.
pub const DOMAINS: &str = "/admin/v1/orgs/{orgId}/domains";
/// `GET /admin/v1/orgs`: the organizations the key sees.
pub const ORGS: &str = "/admin/v1/orgs";
/// `GET /admin/v2/orgs/{orgId}/directories?accountId=…`: the directories
/// of an account (jira.js `src/admin/api/directory.ts`,
/// `getDirectoriesForOrg`; `multiDirectoryUserDirectory.ts`).
pub const DIRECTORIES: &str = "/admin/v2/orgs/{orgId}/directories";
/// `POST …/directories/{directoryId}/users/{accountId}/suspend`: no access
/// and no billing until restored (jira.js `src/admin/api/users.ts`,
/// `suspendDirectoryUser`).
pub const SUSPEND: &str =
    "/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend";
/// `POST …/directories/{directoryId}/users/{accountId}/restore`: the roles
/// and groups of before the suspension come back (`restoreDirectoryUser`).
pub const RESTORE: &str =
    "/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore";

/// `GET /admin/api-access/v1/orgs/{orgId}/api-tokens`: the user API
/// tokens of the organization's managed accounts, scope
/// `read:tokens:admin`. Atlassian's API Access REST API, "API Token" group
/// ("Get all API tokens in an org"): `data[]` of `id`, `label`, `status`
/// (`ALLOWED`), `createdAt`, `expiresAt`, `lastActiveAt`, `user` {`id`,
/// `orgId`, `name`, `email`}, and `links.next`; the page size is
/// `pageSize` (go-atlassian v2, `OrgTokenService.Gets`, `OrgTokenScheme`).
/// The same group's `DELETE` on this path revokes every token of the
/// organization: never called.
pub const API_TOKENS: &str = "/admin/api-access/v1/orgs/{orgId}/api-tokens";
/// `GET /admin/v1/orgs/{orgId}/events-stream`: the audit log, scope
/// `read:events:admin` (Atlassian Guard Standard); `from`/`to` in epoch
/// milliseconds, `cursor`, `limit`, `sortOrder` (jira.js
/// `src/admin/api/events.ts`, `pollEvents`; `pollingEventPage.ts`,
/// `pollingEventModel.ts`, `eventActorModel.ts`, `eventObjectModel.ts`,
/// `eventLocationModel.ts`). `/events` allows only 10 requests a minute.
pub const EVENTS_STREAM: &str = "/admin/v1/orgs/{orgId}/events-stream";

/// `DELETE /users/{accountId}/manage/api-tokens/{tokenId}`: revokes one
/// user API token. Atlassian's User management REST API, "Api Tokens"
/// group ("Delete API token"; go-atlassian, `admin/internal/
/// user_token_impl.go`, `UserTokenService.Delete`). Never `DELETE` on
/// [`API_TOKENS`] itself: that revokes every token of the organization.
pub const REVOKE_TOKEN: &str = "/users/{accountId}/manage/api-tokens/{tokenId}";

/// `GET …/directories/{directoryId}/users/{accountId}`: one account as
/// one directory sees it, `{data: {accountStatus, membershipStatus, …}}`
/// (jira.js `src/admin/api/users.ts`, `getDirectoryUserDetails`;
/// `multiDirectoryUserDetails.ts`, `multiDirectoryUserDetailsData.ts`).
/// Its `membershipStatus` is `active`, `suspended` or `no_membership`
/// (`membershipStatus.ts`): what settles a suspend or restore whose answer
/// was lost.
pub const DIRECTORY_USER: &str =
    "/admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}";

/// One object: `{data: {...}}`.
#[derive(Debug, Deserialize)]
pub struct One<T> {
    pub data: Option<T>,
}

/// One page of a list: `{data: [...], links: {next}}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    #[serde(default)]
    pub links: Option<Links>,
}

/// `links.next` is a cursor (users search) or a whole URL (domains, orgs).
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    pub next: Option<String>,
}

/// A user of the organization (`MultiDirectoryUser`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub account_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// `managed` or `unmanaged`.
    pub claim_status: Option<String>,
    /// `active`, `inactive` or `closed`.
    pub account_status: Option<String>,
    /// `active`, `suspended` or `no_membership`.
    pub membership_status: Option<String>,
    pub mfa_enabled: Option<bool>,
    /// ISO-8601 date and time the user was first added to the organization.
    pub added_to_org: Option<String>,
    /// Returned with `expand: ["productAccess"]`.
    pub product_access: Option<Vec<ProductAccess>>,
}

/// One product instance a user can use (`MultiDirectoryProductAccess`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProductAccess {
    /// The product key (`jira`, `confluence`, ...).
    pub key: Option<String>,
    /// The product instance's id.
    pub id: Option<String>,
    /// ISO-8601 time of the user's last activity there.
    pub last_active_timestamp: Option<String>,
}

/// A directory an account is in (`MultiDirectoryUserDirectory`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Directory {
    pub directory_id: Option<String>,
}

/// A domain of the organization (`DomainModel`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Domain {
    pub attributes: DomainAttributes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DomainAttributes {
    pub name: Option<String>,
    pub claim: Option<DomainClaim>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DomainClaim {
    /// `verified`, `deleted`, `unverified`, `superseded`, `missing_token`.
    pub status: Option<String>,
}

/// An organization the key sees (`OrgModel`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Org {
    pub id: String,
    pub attributes: OrgAttributes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OrgAttributes {
    pub name: Option<String>,
}

/// A user API token (`OrgTokenScheme`): times are RFC 3339; `status` is
/// `ALLOWED` for a token that can be used.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiToken {
    pub id: Option<String>,
    pub label: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    pub last_active_at: Option<String>,
    pub user: Option<TokenUser>,
}

/// The owner of a token (`OrgKeyUserScheme`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenUser {
    pub id: Option<String>,
    pub email: Option<String>,
}

/// A page of the events stream: the cursor of the next page is `meta.next`
/// (also usable after the last page, to poll) or `links.next`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventPage {
    pub data: Vec<Event>,
    pub meta: Option<EventMeta>,
    pub links: Option<Links>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventMeta {
    pub next: Option<String>,
}

/// One audit log event (`PollingEventModel`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Event {
    pub id: Option<String>,
    pub attributes: EventAttributes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventAttributes {
    pub time: Option<String>,
    pub action: Option<String>,
    pub actor: Option<EventObject>,
    /// What the action was done to; a `users` item is the subject.
    pub context: Vec<EventObject>,
    pub location: Option<EventLocation>,
}

/// The actor (`EventActorModel`: `id`, `name`, `email`) or a context item
/// (`EventObjectModel`: `id`, `type`, free `attributes`, where a user's
/// `email` and `name` are read and any other object's `name`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventObject {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventLocation {
    pub ip: Option<String>,
}
