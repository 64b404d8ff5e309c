//! What the role cells of the users export mean. A `<Product> - <site>`
//! cell holds the account's role on that product; the roles are
//! Atlassian's canonical roles, listed with their meaning in the admin
//! API's `RoleId` model (Atlassian's published Organizations API spec, as
//! generated into jira.js `src/admin/models/roleId.ts`): `user`, `admin`,
//! `guest`, `customer`, `contributor`, `basic` and `stakeholder` can use
//! the product; `user-access-admin` has "no product access" and only
//! administers its users. The export writes them as names (`User`,
//! `Product admin`, `Agent`, as the contract's `product_access.role`
//! says), or as the ids themselves.

/// What one role cell says about access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RoleCell {
    /// Empty, `No access`, or a role without product access.
    NoAccess,
    /// A role Atlassian documents: access.
    Documented,
    /// A role Atlassian does not document: still access, as new products
    /// bring new roles, but named in the report so that a mistake shows.
    Unfamiliar,
}

/// Roles that use the product, lower-cased, words apart: the canonical
/// ids without `atlassian/`, and the names the export writes for them.
const WITH_ACCESS: [&str; 10] = [
    "user",
    "admin",
    "product admin",
    "guest",
    "customer",
    "contributor",
    "basic",
    "stakeholder",
    "agent",
    "site admin",
];

/// Cells that mean no product access: `No access`, the empty cell spelled
/// out, and the documented role that administers users without using the
/// product.
const WITHOUT_ACCESS: [&str; 2] = ["no access", "user access admin"];

/// What the text of a role cell says about access.
pub(super) fn role_cell(text: &str) -> RoleCell {
    let text = text.trim();
    if text.is_empty() {
        return RoleCell::NoAccess;
    }
    let lower = text.to_lowercase();
    let name = lower.strip_prefix("atlassian/").unwrap_or(&lower);
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect();
    let name = words.join(" ");
    if WITHOUT_ACCESS.contains(&name.as_str()) {
        RoleCell::NoAccess
    } else if WITH_ACCESS.contains(&name.as_str()) {
        RoleCell::Documented
    } else {
        RoleCell::Unfamiliar
    }
}

/// Whether an `Org role` cell names the organization admin role
/// ("Organization admin", "Org admin", `atlassian/org-admin`); "Member"
/// and the like are not.
pub(super) fn holds_org_admin(org_role: &str) -> bool {
    org_role.to_lowercase().contains("admin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_spelling_of_a_role_means_what_atlassian_documents() {
        for cell in [
            "User",
            "Product admin",
            "product-admin",
            " AGENT ",
            "atlassian/guest",
            "Customer",
        ] {
            assert_eq!(role_cell(cell), RoleCell::Documented, "{cell}");
        }
        for cell in [
            "",
            "  ",
            "No access",
            "NO ACCESS",
            "User access admin",
            "atlassian/user-access-admin",
        ] {
            assert_eq!(role_cell(cell), RoleCell::NoAccess, "{cell}");
        }
        for cell in ["Approver", "Trusted", "yes"] {
            assert_eq!(role_cell(cell), RoleCell::Unfamiliar, "{cell}");
        }
    }
}
