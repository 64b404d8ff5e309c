"""The twelve insights of the data contract in DuckDB SQL, written for the
benchmark as a peer of org-insights: it reads the same bundle, applies the
same reading rules (trim, lower-case, boolean spellings, defaults) and
prints insights.json's "insights" object.

Usage: python3 duckdb_insights.py BUNDLE_DIR AS_OF OUT_JSON
"""

import json
import os
import sys
from datetime import date, timedelta

import duckdb


def source(con, bundle, table):
    for ext in ("parquet", "csv", "csv.gz"):
        path = os.path.join(bundle, f"{table}.{ext}")
        if os.path.exists(path):
            if ext == "parquet":
                return f"read_parquet('{path}')"
            return f"read_csv('{path}', header=true, all_varchar=true)"
    return None


def pct(part, whole):
    """Tenths of a percent, ties away from zero, in exact integers."""
    if whole == 0:
        return None
    tenths = (2000 * part + whole) // (2 * whole)
    return tenths / 10


def months_between(first, last):
    y, m = first
    out = []
    while (y, m) <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly(con, rows_sql, as_of):
    """Distinct accounts per month among rows_sql, from the earliest month
    (at most 11 months back) to as_of's month."""
    per_month = dict(
        con.execute(
            f"SELECT strftime(date, '%Y-%m') AS m, count(DISTINCT account_id) FROM ({rows_sql}) GROUP BY m"
        ).fetchall()
    )
    if not per_month:
        return []
    last = (as_of.year, as_of.month)
    back = as_of.year * 12 + as_of.month - 1 - 11
    oldest = (back // 12, back % 12 + 1)
    earliest = min(per_month)
    first = max((int(earliest[:4]), int(earliest[5:7])), oldest)
    return [{"month": m, "active": per_month.get(m, 0)} for m in months_between(first, last)]


def main():
    bundle, as_of_text, out = sys.argv[1], sys.argv[2], sys.argv[3]
    as_of = date.fromisoformat(as_of_text)
    start = as_of - timedelta(days=29)
    con = duckdb.connect()
    con.execute(
        """
        CREATE MACRO s(x) AS nullif(trim(CAST(x AS VARCHAR)), '');
        CREATE MACRO k(x) AS lower(s(x));
        CREATE MACRO b(x, d) AS CASE lower(s(x))
            WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true
            WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false
            ELSE d END;
        """
    )
    src = {t: source(con, bundle, t) for t in ("accounts", "product_access", "sites", "domains", "activity")}
    con.execute(
        f"""
        CREATE TABLE accounts AS SELECT s(account_id) AS account_id,
            lower(split_part(s(email), '@', 2)) AS domain, k(account_type) AS account_type,
            coalesce(k(status), 'active') AS status, coalesce(k(two_step), 'off') AS two_step,
            b(sso, false) AS sso, b(external_policy, false) AS external_policy
        FROM {src['accounts']};
        CREATE TABLE access AS SELECT s(account_id) AS account_id, k(product) AS product, s(site) AS site
        FROM {src['product_access']};
        CREATE TABLE sites AS SELECT s(site) AS site, k(product) AS product, coalesce(k(plan), 'free') AS plan,
            b(rovo, false) AS rovo, CAST(s(rovo_activated_on) AS DATE) AS rovo_activated_on,
            b(ai, false) AS ai, k(billing) AS billing, CAST(s(paid_seats) AS BIGINT) AS paid_seats
        FROM {src['sites']};
        CREATE TABLE domains AS SELECT k(domain) AS domain, b(verified, false) AS verified FROM {src['domains']};
        CREATE VIEW activity AS SELECT CAST(s(date) AS DATE) AS date, s(account_id) AS account_id,
            k(product) AS product, s(site) AS site, coalesce(k(surface), 'web') AS surface,
            coalesce(k(action), 'view') AS action, b(success, true) AS success
        FROM {src['activity']};
        CREATE TABLE with_access AS SELECT * FROM accounts a
            WHERE status = 'active' AND EXISTS (SELECT 1 FROM access p WHERE p.account_id = a.account_id);
        CREATE TABLE counted AS SELECT v.date, v.account_id, v.product, v.site, v.surface, v.action, v.success
            FROM activity v JOIN accounts a USING (account_id)
            WHERE v.date <= DATE '{as_of}' AND (v.product <> 'trello' OR a.account_type = 'managed');
        CREATE TABLE rovo_sites AS SELECT site, max(rovo_activated_on) AS activated
            FROM sites GROUP BY site HAVING bool_or(rovo);
        """
    )
    w = f"date >= DATE '{start}'"
    one = lambda sql: con.execute(sql).fetchone()
    insights = {}

    managed, external = one(
        "SELECT count(*) FILTER (account_type = 'managed'), count(*) FILTER (account_type = 'external') FROM with_access"
    )
    insights["users_with_access"] = {"managed": managed, "external": external, "total": managed + external}

    rows = con.execute(
        """SELECT a.domain, count(*) FILTER (account_type = 'managed') AS m, count(*) FILTER (account_type = 'external') AS e,
                  coalesce(bool_or(d.verified), false) AS v
           FROM with_access a LEFT JOIN (SELECT domain, bool_or(verified) AS verified FROM domains GROUP BY domain) d USING (domain)
           GROUP BY a.domain ORDER BY m + e DESC, a.domain"""
    ).fetchall()
    insights["domains"] = [{"domain": d, "managed": m, "external": e, "verified": v} for d, m, e, v in rows]

    sso, on, off = one(
        """SELECT count(*) FILTER (sso), count(*) FILTER (NOT sso AND two_step <> 'off'), count(*) FILTER (NOT sso AND two_step = 'off')
           FROM with_access WHERE account_type = 'managed'"""
    )
    insights["managed_authentication"] = {"sso": sso, "two_step_enabled": on, "two_step_disabled": off}

    self_, other, none, covered, total = one(
        """SELECT count(*) FILTER (two_step = 'on'), count(*) FILTER (two_step = 'enforced'), count(*) FILTER (two_step = 'off'),
                  count(*) FILTER (external_policy), count(*)
           FROM with_access WHERE account_type = 'external'"""
    )
    insights["external_two_step"] = {"enabled_self": self_, "enabled_by_other_org": other, "not_enabled": none}
    insights["external_policy"] = {"covered": covered, "total": total, "percent": pct(covered, total)}

    views = "SELECT * FROM counted WHERE action = 'view'"
    per_day = dict(con.execute(f"SELECT date, count(DISTINCT account_id) FROM ({views}) WHERE {w} GROUP BY date").fetchall())
    insights["active_users"] = {
        "active": one(f"SELECT count(DISTINCT account_id) FROM ({views}) WHERE {w}")[0],
        "daily": [
            {"date": str(start + timedelta(days=i)), "active": per_day.get(start + timedelta(days=i), 0)} for i in range(30)
        ],
        "monthly": monthly(con, views, as_of),
    }

    rows = con.execute(
        f"""WITH holders AS (SELECT DISTINCT account_id, product FROM access WHERE account_id IN (SELECT account_id FROM with_access)),
                 users AS (SELECT DISTINCT account_id, product FROM ({views}) WHERE {w})
            SELECT h.product, count(u.account_id), count(*) - count(u.account_id)
            FROM holders h LEFT JOIN users u USING (account_id, product) GROUP BY h.product ORDER BY h.product"""
    ).fetchall()
    insights["active_by_product"] = [{"product": p, "active": a, "inactive": i} for p, a, i in rows]

    rows = con.execute(
        f"""WITH ranks AS (SELECT site, max(list_position(['free', 'standard', 'premium', 'enterprise'], plan)) AS r
                           FROM sites WHERE product = 'trello' GROUP BY site),
                 best AS (SELECT account_id, max(coalesce(r, 1)) AS r FROM ({views}) v LEFT JOIN ranks USING (site)
                          WHERE v.product = 'trello' AND {w} GROUP BY account_id)
            SELECT r, count(*) FROM best GROUP BY r ORDER BY r"""
    ).fetchall()
    plans = ["free", "standard", "premium", "enterprise"]
    insights["trello_by_plan"] = [{"plan": plans[r - 1], "active": n} for r, n in rows]

    rows = con.execute(
        f"""SELECT product, count(DISTINCT account_id) FILTER (surface = 'mobile'), count(DISTINCT account_id)
            FROM counted WHERE {w} GROUP BY product ORDER BY product"""
    ).fetchall()
    insights["mobile_usage"] = {
        "products": [{"product": p, "users": u, "share": pct(u, a)} for p, u, a in rows],
        "total": one(f"SELECT count(DISTINCT account_id) FROM counted WHERE {w} AND surface = 'mobile'")[0],
    }

    users, seats, seat_rows, count = one(
        """SELECT (SELECT count(DISTINCT account_id) FROM access WHERE account_id IN (SELECT account_id FROM with_access)
                     AND site IN (SELECT site FROM rovo_sites)),
                  (SELECT sum(paid_seats) FROM sites WHERE billing = 'annual' AND site IN (SELECT site FROM rovo_sites)),
                  (SELECT count(paid_seats) FROM sites WHERE billing = 'annual' AND site IN (SELECT site FROM rovo_sites)),
                  (SELECT count(*) FROM rovo_sites)"""
    )
    insights["rovo_access"] = {"users": users, "paid_seats": int(seats) if seat_rows else None, "sites": count}

    rovo = """SELECT * FROM counted WHERE ((action IN ('rovo_search', 'rovo_definition', 'rovo_chat', 'rovo_agent') AND success)
                     OR action IN ('rovo_first_party_click', 'rovo_third_party_click', 'rovo_third_party_filter'))
                 AND (site IS NULL OR site IN (SELECT site FROM rovo_sites))"""
    recent = [r[0] for r in con.execute(f"SELECT site FROM rovo_sites WHERE activated >= DATE '{start}' ORDER BY site").fetchall()]
    insights["rovo_active"] = {
        "active": one(f"SELECT count(DISTINCT account_id) FROM ({rovo}) WHERE {w}")[0],
        "monthly": monthly(con, rovo, as_of),
        "recently_activated": recent,
    }

    ai = """SELECT c.* FROM counted c WHERE action = 'ai' AND (site IS NULL OR EXISTS
              (SELECT 1 FROM sites x WHERE x.site = c.site AND x.product = c.product AND x.ai))"""
    insights["ai_active"] = {
        "active": one(f"SELECT count(DISTINCT account_id) FROM ({ai}) WHERE {w}")[0],
        "monthly": monthly(con, ai, as_of),
    }

    with open(out, "w") as f:
        json.dump(insights, f, indent=1)


if __name__ == "__main__":
    main()
