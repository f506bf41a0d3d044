//! `placement-harness openapi`: an OpenAPI 3.1 document of Placement's
//! surface, generated from the [`crate::model`], so that tools that read
//! OpenAPI (Schemathesis, ZAP) can run against Placement too.
//!
//! OpenAPI has no notion of microversions: each operation's request body
//! is the newest one (1.39), every older shape is listed under
//! `x-placement-bodies` with its range, and `x-placement-min-version` says
//! from when the operation exists.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value, json};

use crate::model::{MAX_MINOR, ObjectKind, Operation, QueryValue, Schema, Text, surface};

/// The microversion header's name.
pub const MICROVERSION_HEADER: &str = "OpenStack-API-Version";

/// Options of `openapi`.
#[derive(Debug, Args)]
pub struct OpenapiArgs {
    /// Write the document here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `openapi`; returns the exit code.
pub fn openapi_command(args: &OpenapiArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let text = match serde_json::to_string_pretty(&document()) {
        Ok(t) => t + "\n",
        Err(e) => {
            let _ = writeln!(
                err,
                "placement-harness openapi: rendering the document: {e}"
            );
            return 2;
        }
    };
    match &args.output {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(
                    err,
                    "placement-harness openapi: --output {}: {e}",
                    path.display()
                );
                2
            }
        },
        None => match out.write_all(text.as_bytes()) {
            Ok(()) => 0,
            Err(_) => 2,
        },
    }
}

/// JSON Schema (2020-12, as OpenAPI 3.1 uses it) of a model schema.
pub fn json_schema(schema: &Schema) -> Value {
    match schema {
        Schema::Object { props } => {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for p in props {
                properties.insert(p.name.to_owned(), json_schema(&p.schema));
                if p.required {
                    required.push(json!(p.name));
                }
            }
            let mut m = json!({"type": "object", "properties": properties,
                               "additionalProperties": false});
            if !required.is_empty() {
                m["required"] = Value::Array(required);
            }
            m
        }
        Schema::Map {
            key,
            value,
            min_props,
            closed,
        } => {
            let mut pattern = Map::new();
            pattern.insert(key.pattern().unwrap_or(".*").to_owned(), json_schema(value));
            let mut m = json!({"type": "object", "patternProperties": pattern});
            if *closed {
                m["additionalProperties"] = json!(false);
            }
            if *min_props > 0 {
                m["minProperties"] = json!(min_props);
            }
            m
        }
        Schema::Array {
            items,
            min_items,
            unique,
        } => {
            let mut m = json!({"type": "array", "items": json_schema(items)});
            if *min_items > 0 {
                m["minItems"] = json!(min_items);
            }
            if *unique {
                m["uniqueItems"] = json!(true);
            }
            m
        }
        Schema::Integer { min, max } => {
            let mut m = json!({"type": "integer"});
            if let Some(v) = min {
                m["minimum"] = json!(v);
            }
            if let Some(v) = max {
                m["maximum"] = json!(v);
            }
            m
        }
        Schema::Number { max } => json!({"type": "number", "maximum": max}),
        Schema::Text(t) => text_schema(*t),
        Schema::Generation(ObjectKind::Consumer) => json!({"type": ["integer", "null"],
            "description": "the consumer's current generation; null for a new consumer"}),
        Schema::Generation(_) => {
            json!({"type": "integer", "description": "the provider's current generation"})
        }
        Schema::Nullable(inner) => json!({"anyOf": [json_schema(inner), {"type": "null"}]}),
    }
}

fn text_schema(t: Text) -> Value {
    let (min, max) = t.length();
    let mut m = json!({"type": "string", "minLength": min, "maxLength": max});
    if let Some(p) = t.pattern() {
        m["pattern"] = json!(p);
    }
    if matches!(t, Text::Uuid(_)) {
        m["format"] = json!("uuid");
    }
    m
}

fn query_schema(v: QueryValue) -> Value {
    match v {
        QueryValue::Uuid(_) => json!({"type": "string", "format": "uuid"}),
        QueryValue::Limit => json!({"type": "string", "pattern": "^[1-9][0-9]*$"}),
        QueryValue::GroupPolicy => json!({"type": "string", "enum": ["none", "isolate"]}),
        QueryValue::Bool => json!({"type": "string", "enum": ["true", "false"]}),
        QueryValue::Resources => {
            json!({"type": "string", "pattern": "^[A-Z0-9_]+:[0-9]+(,[A-Z0-9_]+:[0-9]+)*$"})
        }
        QueryValue::ExternalId => json!({"type": "string", "minLength": 1, "maxLength": 255}),
        _ => json!({"type": "string"}),
    }
}

fn operation_id(op: &Operation) -> String {
    op.slug().replace('-', "_")
}

fn operation(op: &Operation) -> Value {
    let mut params = vec![json!({"$ref": "#/components/parameters/microversion"})];
    for (name, t) in &op.path {
        params.push(json!({"name": name, "in": "path", "required": true,
                           "schema": text_schema(*t)}));
    }
    for q in &op.query {
        let mut p = json!({"name": q.name, "in": "query", "required": q.required,
                           "schema": query_schema(q.value),
                           "x-placement-min-version": format!("1.{}", q.from)});
        if let Some(g) = q.grouped_from {
            p["description"] = json!(format!(
                "from 1.{g} also as {}<suffix> for a numbered or named request group",
                q.name
            ));
        }
        params.push(p);
    }
    let mut responses = Map::new();
    responses.insert(op.success.to_string(), json!({"description": "success"}));
    for code in ["400", "401", "403", "404", "406", "409", "415"] {
        responses.insert(
            code.to_owned(),
            json!({"$ref": "#/components/responses/Error"}),
        );
    }
    let mut m = json!({
        "operationId": operation_id(op),
        "summary": format!("{} {}", op.method, op.route),
        "parameters": params,
        "responses": responses,
        "x-placement-min-version": format!("1.{}", op.from),
    });
    if let Some(policy) = op.policy {
        m["x-placement-policy"] = json!(policy);
    } else {
        m["security"] = json!([]);
    }
    if let Some(latest) = op.body_at(MAX_MINOR) {
        m["requestBody"] = json!({"required": true, "content":
            {"application/json": {"schema": json_schema(latest)}}});
    }
    if !op.bodies.is_empty() {
        m["x-placement-bodies"] = op
            .bodies
            .iter()
            .map(|b| {
                json!({"versions": format!("1.{}-1.{}", b.from, b.to),
                            "schema": json_schema(&b.schema)})
            })
            .collect();
    }
    m
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in surface() {
        let entry = paths
            .entry(op.route.to_owned())
            .or_insert_with(|| json!({}));
        entry[op.method.to_ascii_lowercase()] = operation(&op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "OpenStack Placement API",
            "version": format!("1.{MAX_MINOR}"),
            "description": "Generated by placement-harness from its request model of \
                Placement 16.0.0 (microversions 1.0 to 1.39). Request bodies are the \
                1.39 ones; x-placement-bodies lists every version's.",
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token",
                          "description": "A Keystone token (noauth2: `admin`, or `user:project`)"},
            },
            "parameters": {
                "microversion": {
                    "name": MICROVERSION_HEADER, "in": "header", "required": false,
                    "schema": {"type": "string",
                               "pattern": "^placement (latest|1\\.([0-9]|[1-3][0-9]))$"},
                    "example": format!("placement 1.{MAX_MINOR}"),
                    "description": "The microversion; without it, 1.0.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["errors"],
                    "properties": {"errors": {"type": "array", "items": {
                        "type": "object", "required": ["status", "title", "detail"],
                        "properties": {
                            "status": {"type": "integer"},
                            "title": {"type": "string"},
                            "detail": {"type": "string"},
                            "code": {"type": "string",
                                     "description": "from 1.23, e.g. placement.undefined_code"},
                            "request_id": {"type": "string"},
                        }}}},
                },
            },
            "responses": {
                "Error": {"description": "Placement's error envelope",
                          "content": {"application/json":
                              {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        },
    })
}
