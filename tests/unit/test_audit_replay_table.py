"""`ksd audit replay` without `--json`: the table an auditor reads, in Bahasa Indonesia with
Indonesian numbers and dates, while `--json` keeps the answer as it is."""

from __future__ import annotations

from ksd_tools.audit.rebuild_commands import replay_table


def test_the_replay_table_says_numbers_days_and_moments_the_indonesian_way() -> None:
    answer = {"as_of": "2026-11-20T16:59:59.999999+00:00", "subject": "53.71", "events": 12_345,
              "summary": {"total": 1_234, "value_idr": 1_750_000_000, "follow_up_rate": 0.25,
                          "on_register": True, "region": None, "expiring_30": [],
                          "agreements": [{"start_on": "2020-06-01", "stage": "running"}]}}
    assert replay_table(answer) == [
        "per waktu                20 Nov 2026 23.59.59 WIB",
        "subjek                   53.71",
        "peristiwa                12.345",
        "ringkasan:",
        "  total                    1.234",
        "  value_idr                1.750.000.000",
        "  follow_up_rate           0,25",
        "  on_register              ya",
        "  region                   -",
        "  expiring_30              -",
        "  agreements:",
        "    [1]:",
        "      start_on                 1 Jun 2020",
        "      stage                    running",
    ]
