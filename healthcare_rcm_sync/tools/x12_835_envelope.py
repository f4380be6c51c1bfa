"""X12 input, around the transactions: interchanges (ISA/IEA), functional groups (GS/GE)
and transaction sets (ST/SE) are walked and checked; each transaction's segments go to a
:class:`TransactionBuilder`."""

from .x12_835_model import Envelope, ParseResult, X12Issue
from .x12_835_segments import TransactionBuilder
from .x12_835_values import count_is, get_el, get_opt, segment_label
from .x12_reader import X12ParseError, X12Reader

_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})


class FileParser:
    """Walks the envelopes (ISA/GS/ST) and hands transaction segments to a builder."""

    def __init__(self, data):
        self.reader = X12Reader(data)
        self.result = ParseResult()
        self.interchange = None  # dict while an ISA is open
        self.group = None  # dict while a GS is open
        self.builder = None  # TransactionBuilder while an ST is open

    def envelope_error(self, position, segment_id, message, code, transactions=()):
        issue = X12Issue(position, segment_id, message, code)
        self.result.errors.append(issue)
        for remittance in transactions:
            remittance.errors.append(issue)

    def run(self):
        handlers = {
            "ISA": self._isa,
            "IEA": self._iea,
            "GS": self._gs,
            "GE": self._ge,
            "ST": self._st,
            "SE": self._se,
        }
        envelope_ids = _ENVELOPE_IDS
        for position, elements in self.reader:
            segment_id = elements[0]
            builder = self.builder
            if builder is not None and segment_id not in envelope_ids:
                builder.feed(position, elements)
            elif segment_id in envelope_ids:
                handlers[segment_id](position, elements)
            else:
                where = "a transaction set (ST/SE)" if self.interchange else "any interchange"
                self.envelope_error(
                    position,
                    segment_label(segment_id),
                    f"segment {segment_label(segment_id)} is outside {where}",
                    "envelope.outside",
                )
        self.result.segment_count = self.reader.segment_count
        return self.result

    def _close_transaction(self, position, elements):
        remittance = self.builder.finish(position, elements)
        self.builder = None
        return remittance

    def _close_group(self, position, elements):
        group = self.group
        if self.builder is not None:
            self._close_transaction(position, None)
        if elements is None:
            self.envelope_error(
                position,
                "GS",
                f"the functional group started at segment {group['position']} has no GE trailer",
                "envelope.missing_ge",
                group["transactions"],
            )
        else:
            count = get_el(elements, 1)
            if not count_is(count, len(group["transactions"])):
                self.envelope_error(
                    position,
                    "GE",
                    "GE01 transaction count does not match the "
                    f"{len(group['transactions'])} transaction sets of the group",
                    "envelope.ge_count",
                    group["transactions"],
                )
            if get_el(elements, 2) != group["control"]:
                self.envelope_error(
                    position,
                    "GE",
                    "GE02 control number does not match GS06",
                    "envelope.control_number",
                    group["transactions"],
                )
        self.group = None

    def _isa(self, position, elements):
        if self.interchange is not None:
            raise X12ParseError(
                "the interchange started at segment "
                f"{self.interchange['position']} is not closed by an IEA before the next ISA",
                position,
                "ISA",
            )
        self.result.interchange_count += 1
        self.interchange = {
            "position": position,
            "control": elements[13],
            "groups": 0,
            "transactions": [],
            "component": self.reader.delimiters.component,
        }

    def _iea(self, position, elements):
        interchange = self.interchange
        if interchange is None:
            return self.envelope_error(
                position, "IEA", "IEA without a matching ISA", "envelope.outside"
            )
        if self.group is not None:
            self._close_group(position, None)
        count = get_el(elements, 1)
        if not count_is(count, interchange["groups"]):
            self.envelope_error(
                position,
                "IEA",
                f"IEA01 group count does not match the {interchange['groups']} "
                "functional groups of the interchange",
                "envelope.iea_count",
                interchange["transactions"],
            )
        if get_el(elements, 2) != interchange["control"]:
            self.envelope_error(
                position,
                "IEA",
                "IEA02 control number does not match ISA13",
                "envelope.control_number",
                interchange["transactions"],
            )
        self.interchange = None

    def _gs(self, position, elements):
        if self.interchange is None:
            return self.envelope_error(
                position, "GS", "GS outside any interchange", "envelope.outside"
            )
        if self.group is not None:
            self._close_group(position, None)
        self.interchange["groups"] += 1
        self.group = {
            "position": position,
            "control": get_el(elements, 6),
            "sender": get_opt(elements, 2),
            "receiver": get_opt(elements, 3),
            "version": get_opt(elements, 8),
            "transactions": [],
            "controls": set(),
        }

    def _ge(self, position, elements):
        if self.group is None:
            return self.envelope_error(
                position, "GE", "GE without a matching GS", "envelope.outside"
            )
        self._close_group(position, elements)

    def _st(self, position, elements):
        if self.builder is not None:
            self._close_transaction(position, None)
        interchange, group = self.interchange, self.group
        envelope = Envelope(
            interchange_control_number=interchange["control"] if interchange else None,
            group_control_number=group["control"] if group else None,
            transaction_control_number=get_el(elements, 2),
            sender_id=group["sender"] if group else None,
            receiver_id=group["receiver"] if group else None,
            implementation=get_opt(elements, 3) or (group["version"] if group else None),
        )
        component = interchange["component"] if interchange else self.reader.delimiters.component
        builder = TransactionBuilder(position, elements, envelope, component)
        remittance = builder.remittance
        self.result.transactions.append(remittance)
        if group is None:
            builder.error(
                position,
                "ST",
                "transaction set is outside a functional group (GS/GE)",
                "envelope.outside",
            )
        else:
            control = remittance.control_number
            if control in group["controls"]:
                builder.error(
                    position,
                    "ST",
                    "ST02 control number is used twice in the functional group",
                    "envelope.duplicate_control_number",
                )
            group["controls"].add(control)
            group["transactions"].append(remittance)
        if interchange is not None:
            interchange["transactions"].append(remittance)
        self.builder = builder

    def _se(self, position, elements):
        if self.builder is None:
            return self.envelope_error(
                position, "SE", "SE without a matching ST", "envelope.outside"
            )
        self._close_transaction(position, elements)
