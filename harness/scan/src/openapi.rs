//! `placement-harness openapi`: an OpenAPI 3.1 document of Placement's
//! surface, generated from the [`crate::model`].
