//! A chart's `fieldConfig`: unit, colour scheme, thresholds and the panel type's own field
//! options (a timeseries' line style), and the overrides that fix a series' colour. Fields in
//! byte order of their keys, like the dashboard's (see `json.rs`).

use serde::Serialize;

use crate::components::grafana::dashboards::{Colors, Kind, Panel};

#[derive(Debug, Serialize)]
pub(super) struct FieldConfig<'a> {
    defaults: FieldDefaults<'a>,
    overrides: Vec<ColorOverride>,
}

#[derive(Debug, Serialize)]
struct FieldDefaults<'a> {
    color: ColorScheme,
    custom: Custom,
    thresholds: Thresholds,
    unit: &'a str,
}

#[derive(Debug, Serialize)]
struct ColorScheme {
    mode: ColorMode,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "kebab-case")]
enum ColorMode {
    PaletteClassic,
    Thresholds,
}

#[derive(Debug, Serialize)]
struct Thresholds {
    mode: &'static str,
    steps: Vec<Step>,
}

/// A threshold step: `value` null is the base step, below every threshold.
#[derive(Debug, Serialize)]
struct Step {
    color: Color,
    value: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum Color {
    Green,
    Blue,
    Yellow,
    Orange,
    Red,
}

/// The panel type's own field options: a timeseries' line style; stat panels set none.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Custom {
    Line(LineStyle),
    Unset(Unset),
}

/// `{}`.
#[derive(Debug, Serialize)]
struct Unset {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LineStyle {
    draw_style: &'static str,
    fill_opacity: u8,
    line_width: u8,
    show_points: &'static str,
    span_nulls: bool,
    stacking: Stacking,
}

#[derive(Debug, Serialize)]
struct Stacking {
    group: &'static str,
    mode: StackingMode,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum StackingMode {
    None,
    Normal,
}

/// Colours one series by its name (or names matching a regexp), whatever the palette says.
#[derive(Debug, Serialize)]
struct ColorOverride {
    matcher: Matcher,
    properties: [FixedColor; 1],
}

#[derive(Debug, Serialize)]
struct Matcher {
    id: MatcherKind,
    options: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
enum MatcherKind {
    ByName,
    ByRegexp,
}

/// The `color` property set to a fixed colour.
#[derive(Debug, Serialize)]
struct FixedColor {
    id: &'static str,
    value: FixedColorValue,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FixedColorValue {
    fixed_color: Color,
    mode: &'static str,
}

fn fixed(name: &'static str, by: MatcherKind, color: Color) -> ColorOverride {
    ColorOverride {
        matcher: Matcher {
            id: by,
            options: name,
        },
        properties: [FixedColor {
            id: "color",
            value: FixedColorValue {
                fixed_color: color,
                mode: "fixed",
            },
        }],
    }
}

impl Colors {
    fn overrides(self) -> Vec<ColorOverride> {
        use MatcherKind::{ByName, ByRegexp};
        match self {
            Colors::Quantiles => vec![
                fixed("p50", ByName, Color::Green),
                fixed("p95", ByName, Color::Yellow),
                fixed("p99", ByName, Color::Red),
            ],
            Colors::StatusClasses => vec![
                fixed("^2..$", ByRegexp, Color::Green),
                fixed("^3..$", ByRegexp, Color::Blue),
                fixed("^4..$", ByRegexp, Color::Orange),
                fixed("^5..$", ByRegexp, Color::Red),
            ],
            Colors::Palette | Colors::Thresholds(..) => Vec::new(),
        }
    }

    fn scheme(self) -> ColorScheme {
        let mode = match self {
            Colors::Thresholds(..) => ColorMode::Thresholds,
            _ => ColorMode::PaletteClassic,
        };
        ColorScheme { mode }
    }

    fn thresholds(self) -> Thresholds {
        let base = Step {
            color: Color::Green,
            value: None,
        };
        let steps = match self {
            Colors::Thresholds(warn, bad) => vec![
                base,
                Step {
                    color: Color::Orange,
                    value: Some(warn),
                },
                Step {
                    color: Color::Red,
                    value: Some(bad),
                },
            ],
            _ => vec![base],
        };
        Thresholds {
            mode: "absolute",
            steps,
        }
    }
}

impl Panel {
    /// The unit and colours of every series, and the timeseries' line style.
    pub(super) fn field_config(&self) -> FieldConfig<'_> {
        let custom = match self.kind {
            Kind::Timeseries => Custom::Line(self.line_style()),
            Kind::Stat | Kind::Row => Custom::Unset(Unset {}),
        };
        FieldConfig {
            defaults: FieldDefaults {
                color: self.colors.scheme(),
                custom,
                thresholds: self.colors.thresholds(),
                unit: self.unit,
            },
            overrides: self.colors.overrides(),
        }
    }

    /// Thin lines over a light fill; stacked series (parts of a whole) get a denser fill.
    fn line_style(&self) -> LineStyle {
        LineStyle {
            draw_style: "line",
            fill_opacity: if self.stacked { 40 } else { 10 },
            line_width: 1,
            show_points: "never",
            span_nulls: false,
            stacking: Stacking {
                group: "A",
                mode: if self.stacked {
                    StackingMode::Normal
                } else {
                    StackingMode::None
                },
            },
        }
    }
}
