//! What people write in a country or region column, turned into a region.

use crate::format::normalize::Region;

/// A region cell that names no region hushlist knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region {0:?} not recognised")]
pub struct UnknownRegionValue(pub String);

/// The region `text` names: an ISO code or a common name.
pub fn region_from_value(text: &str) -> Result<Region, UnknownRegionValue> {
    let t = text.trim();
    let code = match t.to_lowercase().as_str() {
        "uk" | "england" | "great britain" | "united kingdom" => "GB",
        "usa" | "united states" | "u.s." => "US",
        "deutschland" | "germany" => "DE",
        _ => t,
    };
    Region::parse(code).map_err(|_| UnknownRegionValue(t.to_string()))
}
