//! Tests of the Thanos component.
