//! `Manifest`: every object the stack renders, grouped in parts (one output file each) in
//! apply order.

use super::Object;

/// The objects of one output file: one component's, or one derived kind's.
#[derive(Debug, Clone)]
pub struct Part {
    /// Who made them: a component's profile table, or a derive step's name.
    pub component: &'static str,
    /// The output file name without `.yaml`.
    pub file: &'static str,
    pub objects: Vec<Object>,
}

/// Everything the stack renders, grouped by part in apply order.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub parts: Vec<Part>,
}

impl Manifest {
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.parts.iter().flat_map(|p| p.objects.iter())
    }

    pub fn object_count(&self) -> usize {
        self.parts.iter().map(|p| p.objects.len()).sum()
    }
}
