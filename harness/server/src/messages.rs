//! Placement's sentences for the core's refusals and body rejections.
//!
//! Clients and Placement's own functional tests match on the words of
//! Placement's error details ("resource provider generation conflict",
//! "'project_id' is a required property"), so the server words its details
//! as Placement does, with two differences: client input appears only as a
//! core [`Excerpt`] (short, escaped), and a schema rejection says what rule
//! failed where in the body but never prints jsonschema's "Failed
//! validating ... in schema[...]" dump with the schema itself, which
//! Placement puts into the detail (the scanner's leak oracle reports it).

use placement_core::error::{FieldPath, JsonKind, Location, Problem, Rejection, Segment};
use placement_core::state::{Op, Refusal};
use placement_core::{Excerpt, Microversion, Uuid};
use serde_json::Value;

/// The detail of a refused operation.
pub fn refusal(refusal: &Refusal, op: &Op) -> String {
    let sentence = refusal_sentence(refusal, op);
    match (op, refusal) {
        (
            Op::CreateProvider { uuid, name, .. },
            Refusal::ParentNotFound(_) | Refusal::ParentIsSelf | Refusal::ProviderLoop(_),
        ) => format!(
            "Unable to create resource provider \"{}\", {uuid}: {sentence}",
            Excerpt::of(name.as_str()).as_str()
        ),
        _ => sentence,
    }
}

fn refusal_sentence(refusal: &Refusal, op: &Op) -> String {
    use Refusal as R;
    match refusal {
        R::ProviderNotFound(u) => match op {
            Op::DeleteProvider { .. } => {
                format!("No resource provider with uuid {u} found for delete")
            }
            _ => format!("No resource provider with uuid {u} found"),
        },
        R::ParentNotFound(_) => "parent provider UUID does not exist.".to_owned(),
        R::ParentIsSelf => "parent provider UUID cannot be same as UUID. Please choose a \
                            different parent provider UUID."
            .to_owned(),
        R::ReparentingNotAllowed => "re-parenting a provider is not currently allowed.".to_owned(),
        R::UnparentingNotAllowed => "un-parenting a provider is not currently allowed.".to_owned(),
        R::ProviderLoop(_) => "creating loop in the provider tree is not allowed.".to_owned(),
        R::DuplicateProviderUuid(u) => {
            format!("Conflicting resource provider uuid: {u} already exists.")
        }
        R::DuplicateProviderName(n) => format!(
            "Conflicting resource provider name: {} already exists.",
            n.as_str()
        ),
        R::ProviderHasChildren(u) => format!(
            "Unable to delete parent resource provider {u}: It has child resource providers."
        ),
        R::ProviderInUse(u) => {
            format!("Unable to delete resource provider {u}: Resource provider has allocations.")
        }
        R::ProviderGenerationConflict {
            provider,
            current,
            sent,
        } => format!(
            "resource provider generation conflict: resource provider {provider} is at \
             generation {current}, the request sent {sent}. Resource provider's generation \
             already changed. Please update the generation and try again."
        ),
        R::UnknownResourceClass(c) => match op {
            Op::PutAllocations { consumer, .. } => format!(
                "Unable to allocate inventory for consumer {consumer}: No such resource class {}.",
                c.as_str()
            ),
            Op::PostAllocations { .. } | Op::Reshape { .. } => format!(
                "Unable to allocate inventory: No such resource class {}.",
                c.as_str()
            ),
            _ => format!(
                "Unknown resource class in inventory: No such resource class {}.",
                c.as_str()
            ),
        },
        R::ResourceClassNotFound(c) => format!("No such resource class {}.", c.as_str()),
        R::InventoryCapacity(c) => format!(
            "Unable to update inventory: Invalid inventory for {c}. The reserved value is \
             greater than or equal to total."
        ),
        R::InventoryExists(c) => {
            format!("Update conflict: Inventory for {c} already exists on this resource provider.")
        }
        R::NoInventoryToUpdate(c) => format!(
            "No inventory record with resource class for resource provider: No inventory of \
             class {c} found."
        ),
        R::NoInventoryToDelete(c) => {
            format!("No inventory of class {} found for delete.", c.as_str())
        }
        R::InventoryInUse(c) | R::InventoryInUseOnDelete(c) => {
            let provider = named_provider(op).map_or(String::new(), |u| format!(" '{u}'"));
            format!(
                "Unable to update inventory: Inventory for {c} on resource provider{provider} in use."
            )
        }
        R::ConsumerGenerationConflict { current, sent, .. } => {
            let shown = |g: &Option<u32>| g.map_or("None".to_owned(), |g| g.to_string());
            format!(
                "consumer generation conflict - expected {} but got {}",
                shown(current),
                shown(sent)
            )
        }
        R::AllocationProviderNotFound(u) => {
            format!("Allocation for resource provider '{u}' that does not exist.")
        }
        R::AmountOutOfRange => {
            "Unable to allocate inventory: amounts must be from 1 to 2147483647.".to_owned()
        }
        R::ProviderWithoutInventory(u) => format!(
            "Unable to allocate inventory: Resource provider '{u}' has no inventory of the \
             requested resource classes."
        ),
        R::NoInventoryForAllocation { provider, class } => format!(
            "Unable to allocate inventory: Inventory for {class} on resource provider \
             '{provider}' invalid."
        ),
        R::UnitConstraint { provider, class } => format!(
            "Unable to allocate inventory: Unable to create allocation for {class} on resource \
             provider '{provider}'. The requested amount would violate inventory constraints \
             (min_unit, max_unit or step_size)."
        ),
        R::CapacityExceeded { provider, class } => format!(
            "Unable to allocate inventory: Unable to create allocation for {class} on resource \
             provider '{provider}'. The requested amount would exceed the capacity."
        ),
        R::NoAllocations(c) => format!("No allocations for consumer '{c}'"),
        R::UnknownTrait(t) | R::TraitNotFound(t) => format!("No such trait(s): {}", t.as_str()),
        R::NotCustom(n) => match op {
            Op::EnsureTrait { .. } => crate::handlers::INVALID_TRAIT.to_owned(),
            _ => format!("{n} does not match '^CUSTOM\\_[A-Z0-9_]+$'"),
        },
        R::ResourceClassExists(c) => match op {
            Op::CreateResourceClass { .. } => {
                format!("Conflicting resource class already exists: {}", c.as_str())
            }
            _ => format!("Resource class already exists: {}", c.as_str()),
        },
        R::StandardResourceClass(c) => match op {
            Op::RenameResourceClass { .. } => {
                format!("Cannot update standard resource class {}", c.as_str())
            }
            _ => format!(
                "Error in delete resource class {c}: Cannot delete standard resource class {c}."
            ),
        },
        R::ResourceClassInUse(c) => format!(
            "Error in delete resource class {c}: Cannot delete resource class {c}. Class is in \
             use in inventory."
        ),
        R::StandardTrait(t) => format!("Cannot delete standard trait {}.", t.as_str()),
        R::TraitInUse(t) => format!("The trait {} is in use by a resource provider.", t.as_str()),
        R::ReshapeProviderNotFound(u) => {
            format!("Resource provider '{u}' in inventories not found")
        }
        R::GenerationExhausted => "Update conflict: a generation would pass 2147483647.".to_owned(),
    }
}

fn named_provider(op: &Op) -> Option<Uuid> {
    match op {
        Op::SetInventories { provider, .. }
        | Op::UpdateInventory { provider, .. }
        | Op::DeleteInventory { provider, .. }
        | Op::DeleteInventories { provider } => Some(*provider),
        _ => None,
    }
}

/// The detail of a refused request body, given the body it refused and,
/// for inventory bodies, Placement's sentence about the provider
/// ("Unable to update inventory for resource provider U").
pub fn body_rejection(rejection: &Rejection, body: &[u8], context: Option<&str>) -> String {
    let Location::Body(path) = &rejection.location else {
        return format!("JSON does not validate: {rejection}");
    };
    if let Problem::InvalidJson { line, column } = rejection.problem {
        return format!("Malformed JSON: not valid JSON at line {line}, column {column}");
    }
    let value = serde_json::from_slice::<Value>(body).ok();
    let at = value.as_ref().and_then(|v| walk(v, path));
    let shown = at.map(show);
    let field = last_key(path);
    let (sentence, keyword) = match &rejection.problem {
        Problem::Missing => (
            format!(
                "{} is a required property",
                field.unwrap_or_else(|| "a field".into())
            ),
            Some("required"),
        ),
        Problem::NotAllowed => (
            format!(
                "Additional properties are not allowed ({} was unexpected)",
                field.unwrap_or_else(|| "a field".into())
            ),
            Some("additionalProperties"),
        ),
        Problem::WrongKind(kind) => (
            format!(
                "{} is not of type {}",
                shown.clone().unwrap_or_else(|| "the value".into()),
                kind_name(*kind)
            ),
            Some("type"),
        ),
        Problem::OutOfRange { min, max } => {
            let n = at.and_then(Value::as_f64);
            match n {
                #[allow(clippy::cast_precision_loss)]
                Some(n) if n < *min as f64 => (
                    format!(
                        "{} is less than the minimum of {min}",
                        shown.clone().unwrap_or_default()
                    ),
                    Some("minimum"),
                ),
                Some(_) => (
                    format!(
                        "{} is greater than the maximum of {max}",
                        shown.clone().unwrap_or_default()
                    ),
                    Some("maximum"),
                ),
                None => (rejection.problem.to_string(), None),
            }
        }
        Problem::TooLong { .. } => (
            format!(
                "{} is too long",
                shown.clone().unwrap_or_else(|| "the value".into())
            ),
            Some("maxLength"),
        ),
        Problem::TooShort { .. } => match at {
            Some(Value::Object(_)) => (
                format!(
                    "{} does not have enough properties",
                    shown.clone().unwrap_or_default()
                ),
                Some("minProperties"),
            ),
            Some(Value::Array(_)) => (
                format!("{} should be non-empty", shown.clone().unwrap_or_default()),
                Some("minItems"),
            ),
            _ => (
                format!(
                    "{} is too short",
                    shown.clone().unwrap_or_else(|| "''".into())
                ),
                Some("minLength"),
            ),
        },
        Problem::Duplicate(_) => (
            format!(
                "{} has non-unique elements",
                shown.clone().unwrap_or_else(|| "the list".into())
            ),
            Some("uniqueItems"),
        ),
        Problem::Syntax { got, .. }
            if at
                .and_then(Value::as_object)
                .is_some_and(|m| m.keys().any(|k| Excerpt::of(k) == *got)) =>
        {
            (
                format!("{got} does not match any of the regexes"),
                Some("additionalProperties"),
            )
        }
        Problem::Syntax { what, got } if what.contains("UUID") => {
            (format!("{got} is not a 'uuid'"), Some("format"))
        }
        Problem::Syntax { got, .. } => (
            format!(
                "{got} does not match the expected pattern (or does not match any of the regexes)"
            ),
            Some("pattern"),
        ),
        Problem::NotOneOf { accepted, got } => {
            (format!("{got} is not one of {accepted}"), Some("enum"))
        }
        Problem::Rule(text) if text.starts_with("has no capacity") => {
            return format!(
                "{}: Invalid inventory: the reserved value is greater than or equal to total.",
                context.unwrap_or("Unable to update inventory")
            );
        }
        Problem::Rule(text) if text.starts_with("has negative capacity") => {
            return format!(
                "{}: Invalid inventory: the reserved value is greater than total.",
                context.unwrap_or("Unable to update inventory")
            );
        }
        Problem::NumberOutOfRange { min, max } => match at.and_then(Value::as_f64) {
            Some(n) if n < min.parse::<f64>().unwrap_or(f64::MIN) => (
                format!(
                    "{} is less than the minimum of {min}",
                    shown.clone().unwrap_or_default()
                ),
                Some("minimum"),
            ),
            _ => (
                format!(
                    "{} is greater than the maximum of {max}",
                    shown.clone().unwrap_or_default()
                ),
                Some("maximum"),
            ),
        },
        other => (other.to_string(), None),
    };
    match keyword {
        Some(k) => format!(
            "JSON does not validate: {sentence} (the {k} rule, at {path}: {})",
            rejection.problem
        ),
        None => format!("JSON does not validate: {path}: {sentence}"),
    }
}

fn kind_name(kind: JsonKind) -> &'static str {
    match kind {
        JsonKind::Object => "'object'",
        JsonKind::Array => "'array'",
        JsonKind::String => "'string'",
        JsonKind::Integer => "'integer'",
        JsonKind::Number => "'number'",
        JsonKind::IntegerOrNull => "'integer', 'null'",
        JsonKind::StringOrNull => "'string', 'null'",
    }
}

fn last_key(path: &FieldPath) -> Option<String> {
    match path.segments().last()? {
        Segment::Key(k) => Some(format!("'{k}'")),
        Segment::ClientKey(k) => Some(k.to_string()),
        Segment::Index(_) => None,
    }
}

/// The value at `path`, when every client key is short enough to be
/// matched from its excerpt.
fn walk<'a>(value: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut at = value;
    for segment in path.segments() {
        at = match segment {
            Segment::Key(k) => at.get(*k)?,
            Segment::Index(i) => at.get(*i)?,
            Segment::ClientKey(k) => at
                .as_object()?
                .iter()
                .find(|(name, _)| Excerpt::of(name) == *k)
                .map(|(_, v)| v)?,
        };
    }
    Some(at)
}

/// A value as a short excerpt (numbers and short strings as jsonschema shows them).
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => Excerpt::of(s).to_string(),
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(_) => "the object".to_owned(),
        Value::Array(_) => "the list".to_owned(),
        other => Excerpt::of(&other.to_string()).as_str().to_owned(),
    }
}

/// The detail of a refused query string, in Placement's words where its
/// tests and clients match on them, followed by the core's own sentence.
pub fn query_rejection(rejection: &Rejection, raw_query: &str, mv: Microversion) -> String {
    let Location::Query(name) = &rejection.location else {
        return format!("Invalid query string parameters: {rejection}");
    };
    let name = name.as_str();
    let raw_value = || {
        placement_core::query::decode::decode_pairs(raw_query)
            .ok()
            .and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| Excerpt::of(k).as_str() == name)
            })
            .map(|(_, v)| v)
    };
    let placement: Option<String> = match (&rejection.problem, name) {
        (Problem::NeedsMicroversion("1.24"), _) if name.starts_with("member_of") => Some(
            "Multiple member_of parameters are not supported in the specified microversion"
                .to_owned(),
        ),
        (Problem::NeedsMicroversion("1.32"), _) if name.starts_with("member_of") => Some(
            "Forbidden member_of parameters are not supported in the specified microversion"
                .to_owned(),
        ),
        (Problem::Syntax { .. }, _) if name.starts_with("member_of") => {
            Some("Expected 'member_of' parameter to contain valid UUID(s).".to_owned())
        }
        (Problem::NeedsMicroversion("1.22"), _) if name.starts_with("required") => Some(format!(
            "Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {}",
            Excerpt::of(&raw_value().unwrap_or_default()).as_str()
        )),
        (Problem::Rule(_) | Problem::Syntax { .. } | Problem::TooShort { .. }, _)
            if name.starts_with("required") || name == "root_required" =>
        {
            let form = if mv.at_least(Microversion::v1(22)) {
                "HW_CPU_X86_VMX,!CUSTOM_MAGIC"
            } else {
                "HW_CPU_X86_VMX,CUSTOM_MAGIC"
            };
            Some(format!(
                "Expected '{name}' parameter value of the form: {form}. Got: {}",
                Excerpt::of(&raw_value().unwrap_or_default()).as_str()
            ))
        }
        (Problem::NotAllowed | Problem::NeedsMicroversion(_), _) => Some(format!(
            "Additional properties are not allowed ('{name}' was unexpected)"
        )),
        (Problem::NotOneOf { .. }, "associated") => {
            Some("The query parameter \"associated\" only accepts \"true\" or \"false\"".to_owned())
        }
        (Problem::Syntax { got, .. }, "name") => Some(format!(
            "Badly formatted name parameter. Expected name query string parameter in form: \
             ?name=[in|startswith]:[name1,name2|prefix]. Got: \"{}\"",
            got.as_str()
        )),
        (Problem::Syntax { .. } | Problem::TooLong { .. } | Problem::TooShort { .. }, _)
            if matches!(name, "project_id" | "user_id" | "consumer_type") =>
        {
            let value = raw_value().unwrap_or_default();
            if value.is_empty() {
                Some(format!("'' is too short (the minLength rule of {name})"))
            } else if value.chars().count() > placement_core::names::NAME_MAX_CHARS {
                Some(format!(
                    "{} is too long (the maxLength rule of {name})",
                    Excerpt::of(&value)
                ))
            } else {
                None
            }
        }
        _ => None,
    };
    match placement {
        Some(sentence) => format!("Invalid query string parameters: {sentence}; {rejection}"),
        None => format!("Invalid query string parameters: {rejection}"),
    }
}
