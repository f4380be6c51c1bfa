import uuid

from odoo import api, fields, models

from ..tools.scim_filter import CORE_USER, ENTERPRISE_USER

SCIM_USER_TYPE = "scim_user"


def _iso(value):
    return fields.Datetime.to_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class HcHrScimUser(models.Model):
    """A user provisioned by an identity platform through ``/scim/v2/Users``.

    Holds what SCIM says about the account that Odoo has no field for (given and family
    name, the e-mail list, the enterprise attributes of an employee not synced from an
    HRIS) and the resource version behind the ETag. The account itself is the linked
    ``res.users`` (login, active, e-mail); the employee comes through the
    ``scim_employee`` flow or, when ``employeeNumber`` names an employee synced from an
    HRIS, is that employee (whose HRIS-owned attributes SCIM then cannot change).
    """

    _name = "hc.hr.scim.user"
    _description = "SCIM user"
    _order = "id"
    _rec_name = "user_name"

    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    scim_id = fields.Char(
        string="SCIM id",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: str(uuid.uuid4()),
    )
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", readonly=True)
    user_active = fields.Boolean(related="user_id.active", string="Active")
    employee_id = fields.Many2one("hr.employee", readonly=True, ondelete="set null")
    hris_linked = fields.Boolean(
        string="Employee synced from an HRIS",
        readonly=True,
        help="employeeNumber named an employee of an HRIS: the HRIS owns its department, "
        "cost centre and manager.",
    )
    external_id = fields.Char(string="External id (platform)", readonly=True)
    user_name = fields.Char(string="userName", required=True, readonly=True)
    user_name_key = fields.Char(required=True, readonly=True, index=True)
    given_name = fields.Char(readonly=True)
    family_name = fields.Char(readonly=True)
    display_name_scim = fields.Char(string="displayName", readonly=True)
    emails = fields.Json(readonly=True)
    employee_number = fields.Char(readonly=True)
    cost_center = fields.Char(readonly=True)
    department = fields.Char(readonly=True)
    manager_scim_id = fields.Char(string="Manager (SCIM id)", readonly=True)
    version = fields.Integer(default=1, readonly=True)

    _sql_constraints = [
        ("scim_id_unique", "unique(scim_id)", "This SCIM id already exists."),
        ("user_unique", "unique(user_id)", "This user is already provisioned through SCIM."),
        ("user_name_unique", "unique(user_name_key)", "This userName already exists."),
    ]

    @property
    def etag(self):
        return f'W/"{self.version}"'

    def _location(self, base_url):
        return f"{base_url}/scim/v2/Users/{self.scim_id}"

    def _hc_scim_enterprise(self):
        """The enterprise extension: the HRIS's values for an HRIS employee, else what
        the platform sent."""
        if self.hris_linked and self.employee_id:
            employee = self.employee_id.sudo()
            manager = (
                self.search(
                    [
                        ("backend_id", "=", self.backend_id.id),
                        ("employee_id", "=", employee.parent_id.id),
                    ],
                    limit=1,
                )
                if employee.parent_id
                else self.browse()
            )
            values = {
                "employeeNumber": employee.hc_external_id,
                "department": employee.department_id.name,
                "costCenter": employee.hc_cost_center_id.code or employee.hc_cost_center_id.name,
                "manager": {"value": manager.scim_id} if manager else None,
            }
        else:
            values = {
                "employeeNumber": self.employee_number,
                "costCenter": self.cost_center,
                "department": self.department,
                "manager": {"value": self.manager_scim_id} if self.manager_scim_id else None,
            }
        return {key: value for key, value in values.items() if value}

    def _hc_scim_resource(self, base_url):
        """The resource as SCIM JSON (RFC 7643 §4.1, with the enterprise extension)."""
        self.ensure_one()
        resource = {
            "schemas": [CORE_USER],
            "id": self.scim_id,
            "userName": self.user_name,
            "active": bool(self.sudo().user_id.active),
        }
        if self.external_id:
            resource["externalId"] = self.external_id
        name = {
            key: value
            for key, value in (("givenName", self.given_name), ("familyName", self.family_name))
            if value
        }
        if name:
            resource["name"] = name
        if self.display_name_scim:
            resource["displayName"] = self.display_name_scim
        if self.emails:
            resource["emails"] = self.emails
        enterprise = self._hc_scim_enterprise()
        if enterprise.get("manager"):
            enterprise["manager"] = dict(
                enterprise["manager"],
                **{"$ref": f"{base_url}/scim/v2/Users/{enterprise['manager']['value']}"},
            )
        if enterprise:
            resource["schemas"].append(ENTERPRISE_USER)
            resource[ENTERPRISE_USER] = enterprise
        resource["meta"] = {
            "resourceType": "User",
            "created": _iso(self.create_date),
            "lastModified": _iso(self.write_date),
            "location": self._location(base_url),
            "version": self.etag,
        }
        return resource

    @api.model
    def _hc_find(self, backend, scim_id):
        return self.sudo().search(
            [("backend_id", "=", backend.id), ("scim_id", "=", scim_id or "")], limit=1
        )
