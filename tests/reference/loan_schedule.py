#!/usr/bin/env python3
"""Independent reference calculation of loan repayment schedules.

This script is the independent reference for the C++ schedule tests of the
loans service: it is written from the specification only (not from the C++
code) and the tests compare the service's schedules with its output to the
fen.  Python 3 standard library only; every computation is exact rational
arithmetic (fractions.Fraction) -- no float anywhere.

Usage:
  python3 tests/reference/loan_schedule.py --principal FEN --rate-bp BP \
      --term MONTHS --method METHOD --day-count DC --disbursed YYYY-MM-DD \
      [--subsidy lpr:LPR_BP:X_BP | --subsidy share:SHARE_BP]

  METHOD: equal_instalment | equal_principal | monthly_interest | quarterly_interest
  DC:     act_365 | act_360 | thirty_360

Prints one JSON object: {"instalment": A or null, "periods": [{"k", "start",
"due", "days", "opening", "principal", "interest", "instalment", "subsidy",
"closing"}, ...], "total_principal", "total_interest", "total_subsidy"}.
All money is integer fen.  Invalid input (principal <= 0, term <= 0,
rate < 0, malformed arguments) -> message on stderr, non-zero exit.

Rules in brief:
  * round(x): nearest integer fen, ties to even, applied to an exact rational.
  * add_months(d, m): same day m months later, clamped to the last day of a
    shorter month (2028-01-31 + 1 = 2028-02-29; 2027-01-31 + 1 = 2027-02-28).
  * Periods: monthly methods (equal_instalment, equal_principal,
    monthly_interest): k = 1..term, due_k = add_months(disbursed, k), always
    from the disbursement date.  quarterly_interest: k = 1..ceil(term/3),
    due_k = add_months(disbursed, min(3k, term)).  start_k = due_{k-1},
    due_0 = disbursed.
  * days: act_365/act_360 -> actual days (due - start); thirty_360 (30E/360)
    -> d1 = min(day1, 30), d2 = min(day2, 30),
    days = 360*(y2-y1) + 30*(m2-m1) + (d2-d1).
  * basis: act_365 -> 365 (fixed, also in leap years), act_360 -> 360,
    thirty_360 -> 360.
  * interest_k = round(opening_k * rate_bp * days_k / (10000 * basis)).
  * equal_instalment: i = rate_bp/120000; A = round(P*i*(1+i)^n/((1+i)^n-1)),
    or round(P/n) if rate is 0.  k < n: principal_k = A - interest_k clamped
    to [0, opening_k]; last period: principal_n = opening_n.
    instalment_k = principal_k + interest_k; top-level instalment = A.
  * equal_principal: p = round(P/n); principal_k = min(p, opening_k) for
    k < n, principal_n = opening_n; top-level instalment = null.
  * monthly_interest / quarterly_interest: principal 0 except the last period
    which repays P; top-level instalment = null.
  * closing_k = opening_k - principal_k.
  * subsidy_k (0 without --subsidy):
      lpr:LPR:X -> borrower_rate = min(rate_bp, max(0, LPR - X));
                   subsidy_k = interest_k - round(opening_k * borrower_rate
                                                  * days_k / (10000*basis))
      share:S   -> subsidy_k = round(interest_k * S / 10000)
  * totals are plain sums over the periods.
"""

import argparse
import calendar
import datetime
import json
import sys
from fractions import Fraction

METHODS = ("equal_instalment", "equal_principal", "monthly_interest",
           "quarterly_interest")
DAY_COUNTS = ("act_365", "act_360", "thirty_360")
BASIS = {"act_365": 365, "act_360": 360, "thirty_360": 360}


def round_half_even(x):
    """Round an exact rational to the nearest integer, ties to even."""
    x = Fraction(x)
    floor = x.numerator // x.denominator
    rem = x - floor
    half = Fraction(1, 2)
    if rem > half:
        return floor + 1
    if rem < half:
        return floor
    return floor if floor % 2 == 0 else floor + 1


def add_months(d, m):
    total = d.year * 12 + (d.month - 1) + m
    year, month0 = divmod(total, 12)
    month = month0 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(d.day, last))


def day_count(start, due, dc):
    if dc in ("act_365", "act_360"):
        return (due - start).days
    if dc == "thirty_360":
        d1 = min(start.day, 30)
        d2 = min(due.day, 30)
        return (360 * (due.year - start.year) + 30 * (due.month - start.month)
                + (d2 - d1))
    raise ValueError("unknown day count: %s" % dc)


def interest_for(opening, rate_bp, days, basis):
    return round_half_even(Fraction(opening * rate_bp * days, 10000 * basis))


def period_dates(disbursed, term, method):
    if method == "quarterly_interest":
        count = (term + 2) // 3
        dues = [add_months(disbursed, min(3 * k, term))
                for k in range(1, count + 1)]
    else:
        dues = [add_months(disbursed, k) for k in range(1, term + 1)]
    out = []
    start = disbursed
    for due in dues:
        out.append((start, due))
        start = due
    return out


def annuity(principal, rate_bp, n):
    if rate_bp == 0:
        return round_half_even(Fraction(principal, n))
    i = Fraction(rate_bp, 120000)
    g = (1 + i) ** n
    return round_half_even(principal * i * g / (g - 1))


def parse_subsidy(text):
    """Return None, ("lpr", lpr_bp, x_bp) or ("share", share_bp)."""
    if text is None:
        return None
    parts = text.split(":")
    try:
        if parts[0] == "lpr" and len(parts) == 3:
            return ("lpr", int(parts[1]), int(parts[2]))
        if parts[0] == "share" and len(parts) == 2:
            return ("share", int(parts[1]))
    except ValueError:
        pass
    raise ValueError("invalid --subsidy %r (expected lpr:LPR_BP:X_BP or "
                     "share:SHARE_BP)" % text)


def schedule(principal, rate_bp, term, method, dc, disbursed, subsidy=None):
    if principal <= 0:
        raise ValueError("principal must be > 0")
    if term <= 0:
        raise ValueError("term must be > 0")
    if rate_bp < 0:
        raise ValueError("rate must be >= 0")
    if method not in METHODS:
        raise ValueError("unknown method: %s" % method)
    if dc not in DAY_COUNTS:
        raise ValueError("unknown day count: %s" % dc)
    basis = BASIS[dc]

    borrower_rate = None
    if subsidy is not None and subsidy[0] == "lpr":
        borrower_rate = min(rate_bp, max(0, subsidy[1] - subsidy[2]))

    dates = period_dates(disbursed, term, method)
    n = len(dates)
    top_instalment = None
    if method == "equal_instalment":
        top_instalment = annuity(principal, rate_bp, term)
    elif method == "equal_principal":
        flat = round_half_even(Fraction(principal, term))

    periods = []
    opening = principal
    for k, (start, due) in enumerate(dates, start=1):
        days = day_count(start, due, dc)
        interest = interest_for(opening, rate_bp, days, basis)
        last = (k == n)
        if last:
            princ = opening if method in ("equal_instalment",
                                          "equal_principal") else principal
        elif method == "equal_instalment":
            princ = max(0, min(top_instalment - interest, opening))
        elif method == "equal_principal":
            princ = min(flat, opening)
        else:
            princ = 0
        if subsidy is None:
            sub = 0
        elif subsidy[0] == "lpr":
            sub = interest - interest_for(opening, borrower_rate, days, basis)
        else:
            sub = round_half_even(Fraction(interest * subsidy[1], 10000))
        closing = opening - princ
        periods.append({
            "k": k,
            "start": start.isoformat(),
            "due": due.isoformat(),
            "days": days,
            "opening": opening,
            "principal": princ,
            "interest": interest,
            "instalment": princ + interest,
            "subsidy": sub,
            "closing": closing,
        })
        opening = closing

    return {
        "instalment": top_instalment,
        "periods": periods,
        "total_principal": sum(p["principal"] for p in periods),
        "total_interest": sum(p["interest"] for p in periods),
        "total_subsidy": sum(p["subsidy"] for p in periods),
    }


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("loan_schedule.py: error: %s\n" % message)
        sys.exit(2)


def main(argv=None):
    ap = _Parser(description="Independent reference loan schedule (fen).")
    ap.add_argument("--principal", type=int, required=True)
    ap.add_argument("--rate-bp", type=int, required=True)
    ap.add_argument("--term", type=int, required=True)
    ap.add_argument("--method", choices=METHODS, required=True)
    ap.add_argument("--day-count", choices=DAY_COUNTS, required=True)
    ap.add_argument("--disbursed", required=True)
    ap.add_argument("--subsidy", default=None)
    args = ap.parse_args(argv)
    try:
        disbursed = datetime.date.fromisoformat(args.disbursed)
        subsidy = parse_subsidy(args.subsidy)
        result = schedule(args.principal, args.rate_bp, args.term,
                          args.method, args.day_count, disbursed, subsidy)
    except ValueError as exc:
        sys.stderr.write("loan_schedule.py: error: %s\n" % exc)
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
