//! `hushlist explain`: how each cell of the inputs would be read, with no
//! snapshot and no lookup. The answer to "why was this row (not) checked?".

use crate::check_cmd::InputArgs;
use crate::config::FileConfig;
use crate::exit::Exit;
use crate::{print, Failure, VerifyFormat};
use clap::Parser;
use hushlist::check::explain::Explainer;
use hushlist::check::CheckOptions;
use hushlist::format::normalize::ReadOptions;
use std::path::Path;

#[derive(Parser)]
pub struct ExplainArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: VerifyFormat,
}

pub fn explain(
    state_dir: Option<&Path>,
    config: &FileConfig,
    args: ExplainArgs,
) -> Result<Exit, Failure> {
    if args.input.numbers.is_empty() && args.input.files.is_empty() {
        return Err(Failure::error(
            "nothing to explain: give --number N, a FILE, or - to read stdin",
        ));
    }
    let options = CheckOptions::default()
        .with_regions(args.input.regions(config)?)
        .with_input(args.input.input_options(config)?)
        .with_read(ReadOptions {
            allow_letters: args.input.allow_letters,
        });
    let mut explainer = Explainer::new(&options);
    explainer.numbers(&args.input.numbers);
    for file in &args.input.files {
        let (name, input, _) = InputArgs::open_file(file)?;
        explainer.reader(input, &name).map_err(|e| {
            Failure::error(crate::hints::with(e.to_string(), crate::hints::check(&e)))
        })?;
    }
    let mut explanation = explainer.finish();
    // The time it would take needs the snapshot's parameters: the installed
    // one's, stale or not (an estimate, not a verdict). Without one, it says so.
    match crate::open(state_dir, None, None, true) {
        Ok(list) => {
            explanation.cost = explanation
                .cost(&list.opened().snapshot.snapshot, &options)
                .map_err(|e| Failure::error(e.to_string()))
                .ok();
        }
        Err(_) => eprintln!(
            "hushlist: no snapshot installed here, so no time estimate (run `hushlist update` first)"
        ),
    }
    let text = match args.format {
        VerifyFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&explanation).expect("serializes")
        ),
        VerifyFormat::Text => explanation.to_text(),
    };
    print(&text)?;
    Ok(Exit::Success)
}
