"""The 835 balancing rules, shared by X12 and JSON input.

Sums and differences are computed in :data:`EXACT` arithmetic: exact, or an error, never
rounded to a false "balanced". Messages name the segment, element and rule, the claim id and
the amounts, never another value of the file.
"""

from decimal import localcontext

from .x12_835_model import X12Issue
from .x12_835_values import EXACT, ZERO, fmt_amount


def _sum_amounts(adjustments):
    """Sum of the adjustment amounts, or ``None`` when one of them is unreadable."""
    total = ZERO
    for adjustment in adjustments:
        if adjustment.amount is None:
            return None
        total += adjustment.amount
    return total


def _claim_label(claim):
    return f"claim {claim.claim_id!r}"


def balance_issues(remittance):
    """Check the balancing rules; unreadable amounts (already reported) are skipped."""
    issues = []
    with localcontext(EXACT):
        for index, claim in enumerate(remittance.claims):
            issues.extend(_claim_issues(claim, f"/claims/{index}"))
        for check in (_notification_issue, _payment_issue):
            issue = check(remittance)
            if issue:
                issues.append(issue)
    return issues


def _claim_issues(claim, path):
    """Service-line rule for each line of ``claim``, then the claim rule."""
    issues = []
    service_total = ZERO  # None once a service-level amount is unreadable
    for line_index, service in enumerate(claim.services):
        adjusted = _sum_amounts(service.adjustments)
        if adjusted is None or service_total is None:
            service_total = None
            continue
        service_total += adjusted
        issue = _service_issue(claim, service, line_index, adjusted, path)
        if issue:
            issues.append(issue)
    claim_adjusted = _sum_amounts(claim.adjustments)
    if claim_adjusted is not None and service_total is not None:
        issue = _claim_issue(claim, claim_adjusted, service_total, path)
        if issue:
            issues.append(issue)
    if claim.services and claim_adjusted is not None:
        issue = _claim_services_issue(claim, claim_adjusted, path)
        if issue:
            issues.append(issue)
    return issues


def _service_issue(claim, service, line_index, adjusted, claim_path):
    """SVC02 - sum of the line's CAS amounts = SVC03."""
    if service.charged is None or service.paid is None:
        return None
    expected = service.charged - adjusted
    if expected == service.paid:
        return None
    return X12Issue(
        service.position,
        "SVC" if service.position is not None else None,
        f"SVC03 of service line {line_index + 1} of {_claim_label(claim)} does "
        "not balance (rule SVC02 - CAS = SVC03): charged "
        f"{fmt_amount(service.charged)} - adjustments {fmt_amount(adjusted)} = "
        f"{fmt_amount(expected)}, but paid is {fmt_amount(service.paid)} (difference "
        f"{fmt_amount(service.paid - expected)})",
        "balance.service",
        f"{claim_path}/services/{line_index}",
        expected,
        service.paid,
    )


def _claim_issue(claim, claim_adjusted, service_total, path):
    """CLP03 - CLP04 = claim-level CAS + service-level CAS."""
    if claim.charged is None or claim.paid is None:
        return None
    adjusted = claim_adjusted + service_total
    expected = claim.charged - adjusted
    if expected == claim.paid:
        return None
    return X12Issue(
        claim.position,
        "CLP" if claim.position is not None else None,
        f"CLP04 of {_claim_label(claim)} does not balance (rule CLP03 - CAS = CLP04): "
        "charged "
        f"{fmt_amount(claim.charged)} - adjustments {fmt_amount(adjusted)} (claim "
        f"level {fmt_amount(claim_adjusted)} + service level "
        f"{fmt_amount(service_total)}) = {fmt_amount(expected)}, but paid is "
        f"{fmt_amount(claim.paid)} (difference {fmt_amount(claim.paid - expected)})",
        "balance.claim",
        path,
        expected,
        claim.paid,
    )


def _claim_services_issue(claim, claim_adjusted, path):
    """With service lines: CLP04 = sum of SVC03 - claim-level CAS (TR3 claim balancing)."""
    if claim.paid is None or any(service.paid is None for service in claim.services):
        return None
    services_paid = sum((service.paid for service in claim.services), ZERO)
    expected = services_paid - claim_adjusted
    if expected == claim.paid:
        return None
    return X12Issue(
        claim.position,
        "CLP" if claim.position is not None else None,
        f"CLP04 of {_claim_label(claim)} does not balance with its service lines (rule "
        f"CLP04 = sum of SVC03 - claim-level CAS): service lines paid "
        f"{fmt_amount(services_paid)} - claim-level adjustments {fmt_amount(claim_adjusted)} "
        f"= {fmt_amount(expected)}, but paid is {fmt_amount(claim.paid)} (difference "
        f"{fmt_amount(claim.paid - expected)})",
        "balance.claim_services",
        path,
        expected,
        claim.paid,
    )


def _notification_issue(remittance):
    """BPR01 = H (notification only): no money moves, so BPR02 must be zero."""
    payment = remittance.payment
    if payment is None or payment.handling_code != "H" or not payment.amount:
        return None
    return X12Issue(
        payment.position,
        "BPR" if payment.position is not None else None,
        "BPR02 must be 0 when BPR01 is H (notification only, no payment): the payment "
        f"amount is {fmt_amount(payment.amount)}",
        "rule.notification_amount",
        "/header/payment/amount",
        ZERO,
        payment.amount,
    )


def _payment_issue(remittance):
    """BPR02 (signed) = sum of CLP04 - sum of PLB amounts, when every amount is readable."""
    payment = remittance.payment
    if payment is None or payment.amount is None:
        return None
    claims_paid = ZERO
    for claim in remittance.claims:
        if claim.paid is None:
            return None
        claims_paid += claim.paid
    plb_total = _sum_amounts(remittance.provider_adjustments)
    if plb_total is None:
        return None
    expected = claims_paid - plb_total
    actual = payment.signed_amount
    if expected == actual:
        return None
    return X12Issue(
        payment.position,
        "BPR" if payment.position is not None else None,
        f"BPR02 payment {fmt_amount(actual)} does not balance (rule BPR02 = CLP04 - PLB): "
        "claims paid "
        f"{fmt_amount(claims_paid)} - provider adjustments {fmt_amount(plb_total)}"
        f" = {fmt_amount(expected)} (difference {fmt_amount(actual - expected)})",
        "balance.payment",
        "/header/payment/amount",
        expected,
        actual,
    )
