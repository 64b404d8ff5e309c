//! The advice that ends each insight, on the sample bundle, worked out by
//! hand from its figures (see tests/sample.rs for those): with the default
//! thresholds and with thresholds set in a configuration file.

use crate::common;

use std::path::Path;

use common::Cli;

/// The "What to do" items of each section of a report page, HTML decoded.
fn advice(page: &str) -> Vec<(String, Vec<String>)> {
    page.split("<section id=\"")
        .skip(1)
        .map(|section| {
            let key = section.split('"').next().unwrap().to_string();
            let items = match section.split("<div class=\"advice\">").nth(1) {
                Some(block) => block
                    .split("</div>")
                    .next()
                    .unwrap()
                    .split("<li>")
                    .skip(1)
                    .map(|li| li.split("</li>").next().unwrap().replace("&#x27;", "'"))
                    .collect(),
                None => Vec::new(),
            };
            (key, items)
        })
        .filter(|(_, items)| !items.is_empty())
        .collect()
}

fn sample_advice(config: Option<&str>) -> Vec<(String, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample");
    let mut args = vec!["run", "--data", sample.to_str().unwrap(), "--out", "out"];
    if let Some(text) = config {
        std::fs::write(dir.path().join("c.toml"), text).unwrap();
        args.extend(["--config", "c.toml"]);
    }
    Cli::new(dir.path()).args(&args).run().ok();
    advice(&std::fs::read_to_string(dir.path().join("out/2026-11-10/index.html")).unwrap())
}

fn expect(rows: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    rows.iter()
        .map(|(key, items)| {
            (
                key.to_string(),
                items.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn default_thresholds_on_the_sample() {
    assert_eq!(
        sample_advice(None),
        expect(&[
            ("users_with_access", &["Review the access of the 3 external users with access regularly and remove what is no longer needed."]),
            // partner.com has 2 external accounts, gmail.com 1: below 10.
            ("domains", &["No unverified domain has 10 or more external accounts with access: nothing to do."]),
            // (2 sso + 2 2SV) / 5 = 80.0 % < 95 %; a3 has neither.
            ("managed_authentication", &["Only 80.0 % of managed accounts use single sign-on or two-step verification (target 95 %): enforce two-step verification in an authentication policy, or move the remaining 1 account to single sign-on."]),
            // e1 on, e2 enforced, e3 off: 2/3 = 66.7 % < 90 %.
            ("external_two_step", &["1 external user has two-step verification off (66.7 % on, target 90 %): require it in an external user policy."]),
            // e3 is not covered.
            ("external_policy", &["1 external user is not covered by an external user policy (target 100 %): create one, or add them to it, to control what they can do and require two-step verification."]),
            // With access and no view in the window: e2 (last view 10-11) and
            // e3 (a Trello view, which counts only for managed accounts).
            ("active_users", &["2 accounts with access had no activity in the 30 days: ask whether they still need access."]),
            // confluence 2 of 3 unused, trello 1 of 3; jira 1 of 5 is 20.0 %,
            // not above 20 %.
            ("active_by_product", &["Review the unused seats: 2 of Confluence (66.7 %), 1 of Trello (33.3 %). Remove access that is not needed, or give the seats to people waiting for them."]),
            ("trello_by_plan", &["No managed account works only in Free Trello workspaces: nothing to do."]),
            ("mobile_usage", &["4 accounts used the mobile apps: check that a mobile app policy protects the organization's data on their devices."]),
            ("rovo_access", &["75 paid Rovo seats for 7 accounts with access: lower the user tier at renewal."]),
            // 5 / 75 = 6.7 % < 50 %; beta.atlassian.net was activated in the window.
            ("rovo_active", &[
                "5 active Rovo users for 75 paid seats (6.7 %, target 50 %): show people what Rovo can do, or lower the tier at renewal.",
                "Rovo was activated recently on some sites: judge their use after a full 30 days.",
            ]),
            ("ai_active", &["3 accounts used Atlassian Intelligence: nothing to do."]),
            // t4 (a4 suspended) and t5 (x9 left); t3 unused 101 days, t6
            // never used; t2 expires on 2026-11-30.
            ("api_tokens", &[
                "Revoke the 2 tokens whose owner has no access: the tokens to look at below name them.",
                "2 live tokens have not been used for 90 days or more: ask their owners whether they are still needed.",
                "1 token expires within 30 days: tell the owners, so that no integration stops without warning.",
            ]),
        ])
    );
}

#[test]
fn thresholds_from_the_configuration_change_the_advice() {
    let advice = sample_advice(Some(
        "[thresholds]\nmanaged_two_step_min_percent = 80\nexternal_two_step_min_percent = 60\nexternal_policy_min_percent = 66.7\ndomain_external_accounts_min = 2\ninactive_seats_max_percent = 66.7\nrovo_seat_use_min_percent = 6.7\n",
    ));
    let of = |key: &str| advice.iter().find(|(k, _)| k == key).unwrap().1.clone();
    assert_eq!(of("managed_authentication"), ["80.0 % of managed accounts use single sign-on or two-step verification, at or above the target of 80 %."]);
    assert_eq!(of("external_two_step"), ["66.7 % of external users have two-step verification on, at or above the target of 60 %."]);
    assert_eq!(
        of("external_policy"),
        ["External user policy coverage is at or above the target of 66.7 %."]
    );
    assert_eq!(of("domains"), ["Verify and claim partner.com (2 external accounts), if the organization owns them: their accounts become managed and follow your policies."]);
    assert_eq!(
        of("active_by_product"),
        ["No product has more than 66.7 % unused seats: nothing to do."]
    );
    assert_eq!(
        of("rovo_active")[0],
        "Active Rovo users fill 6.7 % of the paid seats, at or above the target of 6.7 %."
    );
}
