//! `[stack.pricing]`: what one unit of each resource costs a month, for `monstack cost`.
//! The defaults are DigitalOcean Kubernetes list prices (README "Cost" says where each comes
//! from and when it was read).

use serde::Deserialize;

/// Monthly prices, in `currency`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Pricing {
    /// Shown beside the amounts; monstack does not convert.
    pub currency: String,
    /// One vCPU for a month (worker nodes are billed as Droplets).
    pub vcpu_month: Price,
    /// One GiB of memory for a month.
    pub memory_gib_month: Price,
    /// One GiB of block storage (volumes) for a month.
    pub block_gib_month: Price,
    /// One GiB of object storage for a month.
    pub object_gib_month: Price,
}

impl Default for Pricing {
    fn default() -> Self {
        // Basic Droplets: s-2vcpu-2gb $18, s-2vcpu-4gb $24, s-4vcpu-8gb $48 a month fit
        // $6 per vCPU + $3 per GiB exactly. Volumes $0.10/GiB, Spaces $0.02/GiB beyond the
        // 250 GiB of the $5 subscription.
        Pricing {
            currency: "USD".into(),
            vcpu_month: Price(6.0),
            memory_gib_month: Price(3.0),
            block_gib_month: Price(0.10),
            object_gib_month: Price(0.02),
        }
    }
}

/// A price: a finite number, 0 or more.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "f64")]
pub struct Price(#[schemars(range(min = 0))] f64);

impl Price {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Price {
    type Error = &'static str;
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        if v.is_finite() && v >= 0.0 {
            Ok(Price(v))
        } else {
            Err("a price is a number of 0 or more, e.g. 6.0")
        }
    }
}
