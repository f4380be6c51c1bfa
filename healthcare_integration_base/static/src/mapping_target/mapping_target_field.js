import {registry} from "@web/core/registry";
import {
    ReferenceField,
    referenceField,
} from "@web/views/fields/reference/reference_field";

/**
 * The "Maps to" field of a mapping: a reference whose model is fixed by the mapping
 * type. The model's technical name comes from the record's `target_model` (a computed
 * char), so users who may not read `ir.model` (resolvers) can still pick the target.
 */
export class MappingTargetField extends ReferenceField {
    get hideModelSelector() {
        return true;
    }

    getModelName() {
        return this.props.record.data.target_model || undefined;
    }
}

registry.category("fields").add("hc_mapping_target", {
    ...referenceField,
    component: MappingTargetField,
});
