from . import hc_rcm_remittance_upload
