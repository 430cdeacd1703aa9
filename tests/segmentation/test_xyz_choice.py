"""XYZ picks the period and cut-offs that tell customers apart, and the demo is a showcase."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from segdemo import demo_context, demo_segments

from playbook.intake.summary import customer_summary
from playbook.segmentation import analysis as sg
from playbook.segmentation import views

AS_OF = dt.date(2025, 12, 31)


def tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


#: Half the customers order the same amount once a quarter (irregular by month, steady by
#: quarter); the other half buy in bursts.
QUARTERLY = [(f"q{i}", f"2025-{m:02d}-10", 300) for i in range(6) for m in (2, 5, 8, 11)]
BURSTS = [(f"b{i}", f"2025-{m:02d}-10", 100 * (m % 4 + 1) ** 2) for i in range(6)
          for m in (1, 2, 3, 4, 6, 9)]


def test_the_period_that_tells_customers_apart_is_chosen():
    frame = tx(QUARTERLY + BURSTS)
    choice = sg.choose_xyz(frame, AS_OF)
    assert choice["period"] == "quarter" and choice["cutoffs"] == sg.CLASSIC_XYZ
    month, quarter = choice["tried"][:2]
    assert month["period"] == "month" and month["largest_share"] == 1.0  # all Z
    assert quarter["largest_share"] == pytest.approx(0.5) and choice["auto"]
    summary = customer_summary(frame, AS_OF)
    out = sg.abc_xyz(summary, frame, AS_OF, period=choice["period"],
                     xyz_cutoffs=choice["cutoffs"]).set_index("customer_id")
    assert (out.loc[[f"q{i}" for i in range(6)], "xyz"] == "X").all()
    kept = {}
    assert sg.choose_xyz(frame, AS_OF, keep=kept) == choice and set(kept) == {"month", "quarter"}
    again = sg.abc_xyz(summary, frame.iloc[0:0], AS_OF, period=choice["period"],
                       xyz_cutoffs=choice["cutoffs"], xyz_stats=kept["quarter"])
    pd.testing.assert_frame_equal(again.set_index("customer_id"), out)  # no transaction read


def test_customer_cutoffs_when_the_classic_ones_leave_everyone_in_z():
    # quarterly amounts swing by about 40% around their mean: Z by the classic 25%
    rows = [(f"c{i}", f"2025-{m:02d}-10", a) for i in range(4)
            for m, a in ((2, 100), (5, 200), (8, 100), (11, 200))]
    rows += [(f"w{i}", f"2025-{m:02d}-10", 1000 if m == 2 else 10) for i in range(4)
             for m in (2, 5, 8, 11)]
    choice = sg.choose_xyz(tx(rows), AS_OF)
    assert choice["cutoffs"] == sg.CUSTOMER_XYZ and choice["period"] == "quarter"
    assert [t["cutoffs"] for t in choice["tried"]] == [sg.CLASSIC_XYZ, sg.CLASSIC_XYZ,
                                                       sg.CUSTOMER_XYZ, sg.CUSTOMER_XYZ]


def test_given_period_and_cutoffs_are_kept():
    choice = sg.choose_xyz(tx(QUARTERLY + BURSTS), AS_OF, period="month",
                           cutoffs=(0.1, 0.25))
    assert choice["period"] == "month" and choice["cutoffs"] == (0.1, 0.25)
    assert not choice["auto"] and len(choice["tried"]) == 1


def test_the_demo_abc_xyz_cells_are_informative():
    seg = demo_segments()
    cells = seg.abc["display_cell"].value_counts(normalize=True)
    assert cells.max() < 0.3  # no cell holds most customers
    judged = seg.abc[~seg.abc["short_history"]]
    letters = judged["xyz"].value_counts(normalize=True)
    assert set(letters.index) == {"X", "Y", "Z"} and letters.max() <= sg.INFORMATIVE
    assert seg.xyz["period"] == "quarter"


@pytest.mark.parametrize("language, says", [
    ("ru", ["по кварталам", "по месяцам 80% клиентов оказались бы в одной группе",
            "компании закупают партиями", "по классическим границам (10% и 25%)"]),
    ("en", ["by quarter", "by month 80% of customers would fall into one group",
            "businesses buy in batches", "with the classic limits (10% and 25%)"]),
])
def test_the_report_says_which_period_and_why(language, says):
    run = demo_context(language)
    text = " ".join(views.abc_sentences(demo_segments(), run, run.lang))
    text = " ".join(text.split())
    for part in says:
        assert part in text
    assert "segmentation." not in text and "xyz" not in text


def test_periods_are_numbered_as_pandas_numbers_them():
    # XYZ and the ladder group by these numbers instead of Period objects
    import pandas as pd

    from playbook.segmentation.analysis import _ordinals

    dates = pd.Series(pd.to_datetime(["1969-12-31", "1970-01-01", "2024-02-29", "2026-10-31",
                                      "2026-11-01", "1899-03-15"]))
    for months_per, freq in ((1, "M"), (3, "Q")):
        expected = [d.to_period(freq).ordinal for d in dates]
        assert _ordinals(dates, months_per).tolist() == expected
