//! The shared Kubernetes vocabulary the components build with. Depends only on k8s-openapi.

pub mod builders;
pub mod manifest;
pub mod meta;
pub mod object;
pub mod pod;
pub mod waivers;

pub use manifest::{Manifest, Part};
pub use object::{CustomObject, Object};
