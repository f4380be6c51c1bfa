# audit and secrets
from . import hc_integration_audit
from . import hc_integration_audited_mixin
from . import hc_integration_secret
from . import hc_integration_secret_mixin

# configuration: external systems, their flows and handlers, mappings, bindings
from . import hc_integration_backend
from . import hc_integration_handler
from . import hc_integration_handler_sample
from . import hc_integration_flow
from . import hc_integration_handler_declarative
from . import hc_integration_flow_declarative
from . import hc_integration_flow_preview
from . import hc_integration_flow_mapping_types
from . import hc_integration_mapping
from . import hc_integration_mapping_role
from . import hc_integration_mapping_type
from . import hc_integration_mapping_declared_type
from . import hc_integration_binding

# the queue: messages, the processor that applies them, exceptions for people
from . import hc_integration_message
from . import hc_integration_message_declarative
from . import hc_integration_ingest_indexes
from . import hc_integration_message_link
from . import hc_integration_linked_mixin
from . import hc_integration_processor
from . import hc_integration_processor_lanes
from . import hc_integration_processor_budget
from . import ir_cron
from . import hc_integration_processor_outcome
from . import hc_integration_processor_maintenance
from . import hc_integration_exception

# transport: inbound webhooks, outgoing HTTP, scheduled pulls, outbound delivery
from . import hc_integration_webhook_hit
from . import hc_integration_webhook_refusal
from . import hc_integration_webhook
from . import hc_integration_webhook_flow_cache
from . import hc_integration_http_client
from . import hc_integration_flow_pull
from . import hc_integration_puller
from . import hc_integration_flow_delivery
from . import hc_integration_processor_outbound
from . import hc_integration_handler_outbound
from . import hc_integration_handler_outbound_json

# watching: metrics, alerts, settings
from . import hc_integration_metric_bucket
from . import hc_integration_traffic_hour
from . import hc_integration_metric_bucket_traffic
from . import hc_integration_traffic_report
from . import hc_integration_metrics
from . import hc_integration_alert
from . import res_config_settings

# the exception desk: causes grouped in the database
from . import hc_integration_exception_cause
from . import hc_integration_exception_cause_summary
from . import hc_integration_processor_cause_summary
from . import hc_integration_exception_group
from . import hc_integration_mapping_suggestion
from . import hc_integration_exception_activity
from . import hc_integration_replay_batch
from . import hc_integration_business_sla
from . import hc_integration_message_business_sla
from . import hc_integration_flow_outbound_event
from . import hc_integration_handler_outbound_record
from . import ir_actions_server_integration
from . import base_automation_integration

# governed extracts for the data warehouse
from . import hc_integration_extract_dataset
from . import hc_integration_extract
from . import hc_integration_extract_run
from . import hc_integration_extract_pull
from . import hc_integration_business_chain_card
