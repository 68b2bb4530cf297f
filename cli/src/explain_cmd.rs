//! `hushlist explain`: how each cell of the inputs would be read, with no
//! snapshot and no lookup. The answer to "why was this row (not) checked?".

use crate::check_cmd::InputArgs;
use crate::config::FileConfig;
use crate::exit::Exit;
use crate::{print, Failure, VerifyFormat};
use clap::Parser;
use hushlist::check::input::{InputOptions, Layout, Row, RowReader};
use hushlist::check::reading::{read_cell, row_regions, CellReading};
use hushlist::check::regions::RegionValues;
use hushlist::check::regions_text;
use hushlist::check::render::visible;
use hushlist::format::normalize::{ReadOptions, Region};
use serde_json::json;

#[derive(Parser)]
pub struct ExplainArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
}

struct Line {
    source: String,
    line: u64,
    column: String,
    raw: String,
    regions: String,
    result: serde_json::Value,
}

fn explain_row(
    source: &str,
    layout: Option<&Layout>,
    row: &Row,
    regions: &[Region],
    values: &RegionValues,
    read: ReadOptions,
    out: &mut Vec<Line>,
) {
    let read_regions = row_regions(row.region.as_deref(), regions, values);
    let region_note = match (&row.region, &read_regions.unknown) {
        (None, _) => String::new(),
        (Some(_), Some(e)) => format!(" ({e}; defaults used)"),
        (Some(text), None) => format!(" (row says {text:?})"),
    };
    let row_regions = read_regions.regions;
    if let Some(problem) = &row.problem {
        out.push(Line {
            source: source.to_string(),
            line: row.line,
            column: "(the whole row)".into(),
            raw: String::new(),
            regions: String::new(),
            result: json!({"error": problem}),
        });
    }
    for cell in &row.cells {
        let column = layout
            .and_then(|l| l.columns.get(cell.column))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "number".into());
        let raw = cell.value.clone().unwrap_or_default();
        let result = match read_cell(&cell.value, &row_regions, read) {
            CellReading::NotANumber(kind, reason) => json!({"error": reason, "kind": kind}),
            CellReading::Empty => json!({"empty": true}),
            CellReading::Numbers(readings) => json!(readings
                .iter()
                .map(|r| json!({
                    "e164": r.e164,
                    "region": r.region.map(|r| r.to_string()),
                    "valid": r.valid,
                    "plus_added": r.plus_added,
                }))
                .collect::<Vec<_>>()),
        };
        out.push(Line {
            source: source.to_string(),
            line: row.line,
            column,
            raw,
            regions: format!("{}{region_note}", regions_text(&row_regions)),
            result,
        });
    }
}

fn result_text(v: &serde_json::Value) -> String {
    if let Some(e) = v.get("error") {
        return format!("NOT A NUMBER: {}", e.as_str().unwrap_or(""));
    }
    if v.get("empty").is_some() {
        return "empty".into();
    }
    v.as_array()
        .map(|readings| {
            readings
                .iter()
                .map(|r| {
                    format!(
                        "{} {}{}",
                        r["e164"].as_str().unwrap_or(""),
                        if r["valid"] == true {
                            "valid"
                        } else {
                            "only possible"
                        },
                        match (r["region"].as_str(), r["plus_added"] == true) {
                            (Some(c), _) => format!(" as {c}"),
                            (None, true) => " (international, + added to the digits)".into(),
                            (None, false) => " (international)".into(),
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

pub fn explain(config: &FileConfig, args: ExplainArgs) -> Result<Exit, Failure> {
    if args.input.numbers.is_empty() && args.input.files.is_empty() {
        return Err(Failure::error(
            "nothing to explain: give --number N, a FILE, or - to read stdin",
        ));
    }
    let regions = args.input.regions(config)?;
    let options: InputOptions = args.input.input_options(config);
    let read = ReadOptions {
        allow_letters: args.input.allow_letters,
    };
    let values = RegionValues::new();
    let mut lines = Vec::new();
    let mut layouts = Vec::new();
    for (i, n) in args.input.numbers.iter().enumerate() {
        explain_row(
            "--number",
            None,
            &Row::single(i as u64 + 1, n),
            &regions,
            &values,
            read,
            &mut lines,
        );
    }
    for file in &args.input.files {
        let (name, input, _) = InputArgs::open_file(file)?;
        let reader =
            RowReader::new(input, &options).map_err(|e| Failure::error(format!("{name}: {e}")))?;
        let layout = reader.layout().clone();
        let digest = reader.digest();
        let decode = reader.decode_problem();
        for row in reader {
            let row = row.map_err(|e| Failure::error(format!("{name}: {e}")))?;
            explain_row(
                &name,
                Some(&layout),
                &row,
                &regions,
                &values,
                read,
                &mut lines,
            );
        }
        let mut layout = layout;
        layout.warnings.extend(decode.warning());
        layout.warnings.extend(decode.multiline_warning());
        layout.warnings.extend(decode.unchecked_numbers_warning());
        layouts.push((name, layout, digest.hex()));
    }
    let text = match args.format {
        VerifyFormat::Json => {
            let v = json!({
                "inputs": layouts.iter().map(|(n, l, d)| json!({"name": n, "sha256": d, "layout": l})).collect::<Vec<_>>(),
                "default_regions": regions.iter().map(Region::to_string).collect::<Vec<_>>(),
                "cells": lines.iter().map(|l| json!({
                    "source": l.source, "line": l.line, "column": l.column, "input": l.raw,
                    "regions": l.regions, "result": l.result,
                })).collect::<Vec<_>>(),
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&v).expect("serializes")
            )
        }
        VerifyFormat::Text => {
            let mut s = String::new();
            for (name, layout, digest) in &layouts {
                let columns: Vec<&str> = layout.columns.iter().map(|c| c.name.as_str()).collect();
                s.push_str(&visible(&format!(
                    "{name}: sha256 {digest}, {}, delimiter {}; columns {} ({}){}{}",
                    layout.encoding,
                    layout.delimiter_name(),
                    columns.join(", "),
                    layout.chosen,
                    if layout.skipped.is_empty() {
                        String::new()
                    } else {
                        format!("; not checked: {}", layout.skipped.join("; "))
                    },
                    layout
                        .region_column
                        .as_ref()
                        .map(|c| format!("; region column {}", c.name))
                        .unwrap_or_default()
                )));
                s.push('\n');
                for w in &layout.warnings {
                    s.push_str(&visible(&format!("  WARNING: {w}")));
                    s.push('\n');
                }
            }
            for l in &lines {
                s.push_str(&visible(&format!(
                    "{}:{} {} {:?} [regions {}] -> {}",
                    l.source,
                    l.line,
                    l.column,
                    l.raw,
                    if l.regions.is_empty() {
                        "none"
                    } else {
                        &l.regions
                    },
                    result_text(&l.result)
                )));
                s.push('\n');
            }
            s
        }
    };
    print(&text)?;
    Ok(Exit::Success)
}
