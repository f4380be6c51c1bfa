"""Code tables of the ASC X12 835 (005010X221A1) that the parser and the addon share."""

#: Implementation guide this module implements (ST03 / GS08).
IMPLEMENTATION = "005010X221A1"

# Claim status codes (CLP02).
CLAIM_STATUS_PRIMARY = "1"
CLAIM_STATUS_SECONDARY = "2"
CLAIM_STATUS_TERTIARY = "3"
CLAIM_STATUS_DENIED = "4"
CLAIM_STATUS_FORWARDED_PRIMARY = "19"
CLAIM_STATUS_FORWARDED_SECONDARY = "20"
CLAIM_STATUS_FORWARDED_TERTIARY = "21"
CLAIM_STATUS_REVERSAL = "22"
CLAIM_STATUS_NOT_OUR_CLAIM = "23"
CLAIM_STATUS_PREDETERMINATION = "25"
CLAIM_STATUSES = {
    CLAIM_STATUS_PRIMARY: "Processed as primary",
    CLAIM_STATUS_SECONDARY: "Processed as secondary",
    CLAIM_STATUS_TERTIARY: "Processed as tertiary",
    CLAIM_STATUS_DENIED: "Denied",
    CLAIM_STATUS_FORWARDED_PRIMARY: "Processed as primary, forwarded to additional payer(s)",
    CLAIM_STATUS_FORWARDED_SECONDARY: "Processed as secondary, forwarded to additional payer(s)",
    CLAIM_STATUS_FORWARDED_TERTIARY: "Processed as tertiary, forwarded to additional payer(s)",
    CLAIM_STATUS_REVERSAL: "Reversal of previous payment",
    CLAIM_STATUS_NOT_OUR_CLAIM: "Not our claim, forwarded to additional payer(s)",
    CLAIM_STATUS_PREDETERMINATION: "Predetermination pricing only, no payment",
}
#: Claim adjustment group codes (CAS01).
ADJUSTMENT_GROUPS = {
    "CO": "Contractual obligations",
    "OA": "Other adjustments",
    "PI": "Payer initiated reductions",
    "PR": "Patient responsibility",
}
#: Transaction handling codes (BPR01).
HANDLING_CODES = {
    "C": "Payment accompanies remittance advice",
    "D": "Make payment only",
    "H": "Notification only",
    "I": "Remittance information only",
    "P": "Prenotification of future transfers",
    "U": "Split payment and remittance",
    "X": "Handling party's option to split payment and remittance",
}
#: Payment method codes (BPR04).
PAYMENT_METHODS = {
    "ACH": "Automated clearing house",
    "BOP": "Financial institution option",
    "CHK": "Cheque",
    "FWT": "Federal reserve funds/wire transfer",
    "NON": "Non-payment data",
}
