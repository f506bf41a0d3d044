//! The data of the request model: every operation of Placement 16.0.0
//! (microversions 1.0 to 1.39), read from its handlers, schemas and
//! policies and written down here as Rust values.

use placement_core::body::BodyKind;
use placement_core::query::QueryKind;

use super::{BodyVersion, ObjectKind, Operation, Prop, QueryParam, QueryValue, Schema, Text};

/// `db/constants.py` MAX_INT: the largest amount, total or unit.
const MAX_INT: i64 = 2_147_483_647;
/// `db/constants.py` SQL_SP_FLOAT_MAX: the largest allocation ratio.
const SQL_SP_FLOAT_MAX: f64 = 3.40282e38;

fn req(name: &'static str, schema: Schema) -> Prop {
    Prop {
        name,
        schema,
        required: true,
    }
}

fn opt(name: &'static str, schema: Schema) -> Prop {
    Prop {
        name,
        schema,
        required: false,
    }
}

fn obj(props: Vec<Prop>) -> Schema {
    Schema::Object { props }
}

fn text(t: Text) -> Schema {
    Schema::Text(t)
}

fn int(min: Option<i64>, max: Option<i64>) -> Schema {
    Schema::Integer { min, max }
}

fn map(key: Text, value: Schema, min_props: usize) -> Schema {
    Schema::Map {
        key,
        value: Box::new(value),
        min_props,
        closed: true,
    }
}

fn array(items: Schema, min_items: usize, unique: bool) -> Schema {
    Schema::Array {
        items: Box::new(items),
        min_items,
        unique,
    }
}

fn nullable(s: Schema) -> Schema {
    Schema::Nullable(Box::new(s))
}

fn v(from: u16, to: u16, schema: Schema) -> BodyVersion {
    BodyVersion { from, to, schema }
}

/// `schemas/inventory.py` BASE_INVENTORY_SCHEMA's capacity fields.
fn capacity(total_required: bool) -> Vec<Prop> {
    let total = int(Some(1), Some(MAX_INT));
    vec![
        Prop {
            name: "total",
            schema: total,
            required: total_required,
        },
        opt("reserved", int(Some(0), Some(MAX_INT))),
        opt("min_unit", int(Some(1), Some(MAX_INT))),
        opt("max_unit", int(Some(1), Some(MAX_INT))),
        opt("step_size", int(Some(1), Some(MAX_INT))),
        opt(
            "allocation_ratio",
            Schema::Number {
                max: SQL_SP_FLOAT_MAX,
            },
        ),
    ]
}

fn provider_generation() -> Prop {
    req(
        "resource_provider_generation",
        Schema::Generation(ObjectKind::Provider),
    )
}

/// `PUT_INVENTORY_SCHEMA`: the inventories map does not close its keys
/// (no `additionalProperties: false`), so a key outside the class pattern
/// passes the schema.
fn inventories_put() -> Schema {
    obj(vec![
        provider_generation(),
        req(
            "inventories",
            Schema::Map {
                key: Text::ResourceClass,
                value: Box::new(obj(capacity(true))),
                min_props: 0,
                closed: false,
            },
        ),
    ])
}

/// Resources of one allocation: class to amount (`minimum: 1`; the
/// handler's database column caps it at MAX_INT).
fn resources() -> Schema {
    map(Text::ResourceClass, int(Some(1), Some(MAX_INT)), 1)
}

fn external_id(kind: ObjectKind) -> Schema {
    text(Text::ExternalId(kind))
}

/// The dict form of one consumer's allocations (1.12+), as
/// `ALLOCATION_SCHEMA_V1_12` and its descendants grow it.
fn consumer_allocations(minor: u16, min_providers: usize) -> Schema {
    let mut props = vec![
        req(
            "allocations",
            map(
                Text::Uuid(ObjectKind::Provider),
                obj(vec![
                    opt("generation", int(None, None)),
                    req("resources", resources()),
                ]),
                min_providers,
            ),
        ),
        req("project_id", external_id(ObjectKind::Project)),
        req("user_id", external_id(ObjectKind::User)),
    ];
    if minor >= 28 {
        props.push(req(
            "consumer_generation",
            Schema::Generation(ObjectKind::Consumer),
        ));
    }
    if minor >= 34 {
        props.push(opt(
            "mappings",
            map(
                Text::GroupSuffix,
                array(text(Text::Uuid(ObjectKind::Provider)), 1, false),
                1,
            ),
        ));
    }
    if minor >= 38 {
        props.push(req("consumer_type", text(Text::ConsumerType)));
    }
    obj(props)
}

/// `PUT /allocations/{consumer_uuid}` bodies, one per handler range.
fn allocations_put() -> Vec<BodyVersion> {
    let list_item = obj(vec![
        req(
            "resource_provider",
            obj(vec![req("uuid", text(Text::Uuid(ObjectKind::Provider)))]),
        ),
        req("resources", resources()),
    ]);
    let list = |with_ids: bool| {
        let mut props = vec![req("allocations", array(list_item.clone(), 1, false))];
        if with_ids {
            props.push(req("project_id", external_id(ObjectKind::Project)));
            props.push(req("user_id", external_id(ObjectKind::User)));
        }
        obj(props)
    };
    vec![
        v(0, 7, list(false)),
        v(8, 11, list(true)),
        // 1.12-1.27 require at least one provider; from 1.28 an empty
        // dict deletes the consumer's allocations.
        v(12, 27, consumer_allocations(12, 1)),
        v(28, 33, consumer_allocations(28, 0)),
        v(34, 37, consumer_allocations(34, 0)),
        v(38, 39, consumer_allocations(38, 0)),
    ]
}

/// `POST /allocations` (1.13): consumer UUID to that consumer's allocations.
fn allocations_post() -> Vec<BodyVersion> {
    let by_consumer = |minor: u16| {
        map(
            Text::Uuid(ObjectKind::Consumer),
            consumer_allocations(minor, 0),
            1,
        )
    };
    vec![
        v(13, 27, by_consumer(13)),
        v(28, 33, by_consumer(28)),
        v(34, 37, by_consumer(34)),
        v(38, 39, by_consumer(38)),
    ]
}

fn reshaper(minor: u16) -> Schema {
    let mut inventories = map(Text::Uuid(ObjectKind::Provider), inventories_put(), 1);
    if let Schema::Map { closed, .. } = &mut inventories {
        *closed = true;
    }
    obj(vec![
        req("inventories", inventories),
        req(
            "allocations",
            map(
                Text::Uuid(ObjectKind::Consumer),
                consumer_allocations(minor.max(28), 0),
                0,
            ),
        ),
    ])
}

fn provider_body(minor: u16, with_uuid: bool) -> Schema {
    let mut props = vec![req("name", text(Text::ProviderName))];
    if with_uuid {
        props.push(opt("uuid", text(Text::Uuid(ObjectKind::Provider))));
    }
    if minor >= 14 {
        props.push(opt(
            "parent_provider_uuid",
            nullable(text(Text::Uuid(ObjectKind::Provider))),
        ));
    }
    obj(props)
}

fn q(name: &'static str, from: u16, value: QueryValue) -> QueryParam {
    QueryParam {
        name,
        from,
        value,
        required: false,
        grouped_from: None,
    }
}

fn grouped(mut p: QueryParam, from: u16) -> QueryParam {
    p.grouped_from = Some(from);
    p
}

fn required(mut p: QueryParam) -> QueryParam {
    p.required = true;
    p
}

fn op(method: &'static str, route: &'static str, from: u16, policy: &'static str) -> Operation {
    let path = route
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let kind = match name {
                "uuid" => Text::Uuid(ObjectKind::Provider),
                "consumer_uuid" => Text::Uuid(ObjectKind::Consumer),
                "resource_class" => Text::ResourceClass,
                _ if route.starts_with("/traits") => Text::TraitName,
                _ => Text::ResourceClass,
            };
            (name, kind)
        })
        .collect();
    let success = match method {
        "POST" if route == "/resource_providers" || route == "/resource_classes" => 201,
        "DELETE" => 204,
        _ => 200,
    };
    Operation {
        method,
        route,
        from,
        path,
        query: Vec::new(),
        bodies: Vec::new(),
        policy: Some(policy),
        body_kind: None,
        query_kind: None,
        success,
    }
}

impl Operation {
    fn body(mut self, kind: BodyKind, bodies: Vec<BodyVersion>) -> Self {
        self.body_kind = Some(kind);
        self.bodies = bodies;
        self
    }

    fn query(mut self, kind: Option<QueryKind>, query: Vec<QueryParam>) -> Self {
        self.query_kind = kind;
        self.query = query;
        self
    }

    fn status(mut self, success: u16) -> Self {
        self.success = success;
        self
    }
}

/// Every operation of Placement 1.39, in `handler.py`'s order of routes
/// and, within a route, of methods (which its `Allow` header keeps).
pub fn surface() -> Vec<Operation> {
    use ObjectKind as K;
    use QueryValue as Q;
    let mut root = op("GET", "/", 0, "");
    root.policy = None;
    vec![
        root,
        op(
            "GET",
            "/resource_classes",
            2,
            "placement:resource_classes:list",
        ),
        op(
            "POST",
            "/resource_classes",
            2,
            "placement:resource_classes:create",
        )
        .body(
            BodyKind::CreateResourceClass,
            vec![v(
                2,
                39,
                obj(vec![req("name", text(Text::CustomName(K::ResourceClass)))]),
            )],
        ),
        op(
            "GET",
            "/resource_classes/{name}",
            2,
            "placement:resource_classes:show",
        ),
        // 1.2-1.6 rename a class from the body; from 1.7 the PUT creates the
        // class named in the URL and reads no body (201, or 204 if it exists).
        op(
            "PUT",
            "/resource_classes/{name}",
            2,
            "placement:resource_classes:update",
        )
        .body(
            BodyKind::UpdateResourceClass,
            vec![v(
                2,
                6,
                obj(vec![req("name", text(Text::CustomName(K::ResourceClass)))]),
            )],
        )
        .status(201),
        op(
            "DELETE",
            "/resource_classes/{name}",
            2,
            "placement:resource_classes:delete",
        ),
        op(
            "GET",
            "/resource_providers",
            0,
            "placement:resource_providers:list",
        )
        .query(
            Some(QueryKind::ResourceProviders),
            vec![
                q("name", 0, Q::Text),
                q("uuid", 0, Q::Uuid(K::Provider)),
                q("member_of", 3, Q::MemberOf),
                q("resources", 4, Q::Resources),
                q("in_tree", 14, Q::Uuid(K::Provider)),
                q("required", 18, Q::Traits),
            ],
        ),
        op(
            "POST",
            "/resource_providers",
            0,
            "placement:resource_providers:create",
        )
        .body(
            BodyKind::CreateProvider,
            vec![
                v(0, 13, provider_body(0, true)),
                v(14, 39, provider_body(14, true)),
            ],
        ),
        op(
            "GET",
            "/resource_providers/{uuid}",
            0,
            "placement:resource_providers:show",
        ),
        op(
            "DELETE",
            "/resource_providers/{uuid}",
            0,
            "placement:resource_providers:delete",
        ),
        op(
            "PUT",
            "/resource_providers/{uuid}",
            0,
            "placement:resource_providers:update",
        )
        .body(
            BodyKind::UpdateProvider,
            vec![
                v(0, 13, provider_body(0, false)),
                v(14, 39, provider_body(14, false)),
            ],
        ),
        op(
            "GET",
            "/resource_providers/{uuid}/inventories",
            0,
            "placement:resource_providers:inventories:list",
        ),
        op(
            "POST",
            "/resource_providers/{uuid}/inventories",
            0,
            "placement:resource_providers:inventories:create",
        )
        .body(BodyKind::CreateInventory, {
            let mut props = vec![
                opt(
                    "resource_provider_generation",
                    Schema::Generation(K::Provider),
                ),
                req("resource_class", text(Text::ResourceClass)),
            ];
            props.extend(capacity(true));
            vec![v(0, 39, obj(props))]
        })
        .status(201),
        op(
            "PUT",
            "/resource_providers/{uuid}/inventories",
            0,
            "placement:resource_providers:inventories:update",
        )
        .body(
            BodyKind::ReplaceInventories,
            vec![v(0, 39, inventories_put())],
        ),
        op(
            "DELETE",
            "/resource_providers/{uuid}/inventories",
            5,
            "placement:resource_providers:inventories:delete",
        ),
        op(
            "GET",
            "/resource_providers/{uuid}/inventories/{resource_class}",
            0,
            "placement:resource_providers:inventories:show",
        ),
        op(
            "PUT",
            "/resource_providers/{uuid}/inventories/{resource_class}",
            0,
            "placement:resource_providers:inventories:update",
        )
        .body(BodyKind::UpdateInventory, {
            let mut props = vec![provider_generation()];
            props.extend(capacity(true));
            vec![v(0, 39, obj(props))]
        }),
        op(
            "DELETE",
            "/resource_providers/{uuid}/inventories/{resource_class}",
            0,
            "placement:resource_providers:inventories:delete",
        ),
        op(
            "GET",
            "/resource_providers/{uuid}/usages",
            0,
            "placement:resource_providers:usages",
        ),
        op(
            "GET",
            "/resource_providers/{uuid}/aggregates",
            1,
            "placement:resource_providers:aggregates:list",
        ),
        op(
            "PUT",
            "/resource_providers/{uuid}/aggregates",
            1,
            "placement:resource_providers:aggregates:update",
        )
        .body(
            BodyKind::ReplaceAggregates,
            vec![
                v(1, 18, array(text(Text::Uuid(K::Aggregate)), 0, true)),
                v(
                    19,
                    39,
                    obj(vec![
                        req("aggregates", array(text(Text::Uuid(K::Aggregate)), 0, true)),
                        provider_generation(),
                    ]),
                ),
            ],
        ),
        op(
            "GET",
            "/resource_providers/{uuid}/allocations",
            0,
            "placement:resource_providers:allocations:list",
        ),
        op("POST", "/allocations", 13, "placement:allocations:manage")
            .body(BodyKind::ManageAllocations, allocations_post())
            .status(204),
        op(
            "GET",
            "/allocations/{consumer_uuid}",
            0,
            "placement:allocations:list",
        ),
        op(
            "PUT",
            "/allocations/{consumer_uuid}",
            0,
            "placement:allocations:update",
        )
        .body(BodyKind::ReplaceConsumerAllocations, allocations_put())
        .status(204),
        op(
            "DELETE",
            "/allocations/{consumer_uuid}",
            0,
            "placement:allocations:delete",
        ),
        op(
            "GET",
            "/allocation_candidates",
            10,
            "placement:allocation_candidates:list",
        )
        .query(
            Some(QueryKind::AllocationCandidates),
            vec![
                required(grouped(q("resources", 10, Q::Resources), 25)),
                q("limit", 16, Q::Limit),
                grouped(q("required", 17, Q::Traits), 25),
                grouped(q("member_of", 21, Q::MemberOf), 25),
                q("group_policy", 25, Q::GroupPolicy),
                grouped(q("in_tree", 31, Q::Uuid(K::Provider)), 31),
                q("root_required", 35, Q::Traits),
                q("same_subtree", 36, Q::Suffixes),
            ],
        ),
        op("GET", "/traits", 6, "placement:traits:list").query(
            Some(QueryKind::Traits),
            vec![
                q("name", 6, Q::TraitNameFilter),
                q("associated", 6, Q::Bool),
            ],
        ),
        op("GET", "/traits/{name}", 6, "placement:traits:show").status(204),
        op("PUT", "/traits/{name}", 6, "placement:traits:update").status(201),
        op("DELETE", "/traits/{name}", 6, "placement:traits:delete"),
        op(
            "GET",
            "/resource_providers/{uuid}/traits",
            6,
            "placement:resource_providers:traits:list",
        ),
        op(
            "PUT",
            "/resource_providers/{uuid}/traits",
            6,
            "placement:resource_providers:traits:update",
        )
        .body(
            BodyKind::ReplaceProviderTraits,
            vec![v(
                6,
                39,
                obj(vec![
                    req("traits", array(text(Text::TraitName), 0, false)),
                    provider_generation(),
                ]),
            )],
        ),
        op(
            "DELETE",
            "/resource_providers/{uuid}/traits",
            6,
            "placement:resource_providers:traits:delete",
        ),
        op("GET", "/usages", 9, "placement:usages").query(
            Some(QueryKind::Usages),
            vec![
                required(q("project_id", 9, Q::ExternalId)),
                q("user_id", 9, Q::ExternalId),
                q("consumer_type", 38, Q::ConsumerType),
            ],
        ),
        op("POST", "/reshaper", 30, "placement:reshaper:reshape")
            .body(
                BodyKind::Reshape,
                vec![
                    v(30, 33, reshaper(30)),
                    v(34, 37, reshaper(34)),
                    v(38, 39, reshaper(38)),
                ],
            )
            .status(204),
    ]
}
