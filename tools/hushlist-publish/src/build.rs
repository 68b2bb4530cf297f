//! `hushlist-publish build`: read the list, let `Publisher` decide and sign
//! the next publication, write it, and say what was decided.

use crate::passphrase::read_key;
use crate::{BuildArgs, KdfChoice};
use hushlist::check::input::{ColumnSpec, InputOptions, SettingNames};
use hushlist::format::normalize::{ReadOptions, Region};
use hushlist::format::number_key::Kdf;
use hushlist::format::sealed::OprfSeed;
use hushlist::format::snapshot::Contact;
use hushlist::format::time::{now, parse_duration, rfc3339};
use hushlist::publisher::{
    check_durations, os_random, read_list, EntryProblem, EpochChoice, EpochDecision, Ledger,
    ListOptions, NextPlan, Publisher, PublisherError,
};
use std::io::{self, BufReader};
use std::path::Path;
use std::time::Instant;

pub fn build(args: BuildArgs, passphrase_file: Option<&Path>) -> Result<(), String> {
    let started = Instant::now();
    let key = read_key(&args.key, passphrase_file)?;
    let kdf = match args.kdf {
        KdfChoice::Argon2id => Kdf::Argon2id {
            m_kib: args.argon2_memory,
            t: args.argon2_passes,
            p: args.argon2_lanes,
        },
        KdfChoice::Blake3 => Kdf::Blake3,
        // The epoch's public key derives from the OPRF key and the salt,
        // which the publisher chooses next.
        KdfChoice::Voprf => Kdf::Voprf {
            public_key: [0; 32],
        },
    };
    if !kdf.is_sealed() {
        kdf.validate().map_err(|e| e.to_string())?;
    }
    let oprf = args
        .oprf_key
        .as_deref()
        .map(|path| read_key(path, passphrase_file).map(|k| OprfSeed::from_key_file(&k)))
        .transpose()?;
    if kdf.is_sealed() && oprf.is_none() {
        return Err("--kdf voprf needs --oprf-key (make one with `keygen --oprf`)".into());
    }
    let valid_for = parse_duration(&args.valid_for).map_err(|e| format!("--valid-for: {e}"))?;
    let epoch_length =
        parse_duration(&args.salt_epoch).map_err(|e| format!("--salt-epoch: {e}"))?;
    check_durations(now(), valid_for, epoch_length, args.test_fixture_validity).map_err(|e| {
        format!(
            "--valid-for {} --salt-epoch {}: {e}",
            args.valid_for, args.salt_epoch
        )
    })?;
    let region = args
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(|e| e.to_string())?;

    let ledger = match &args.ledger_dir {
        Some(dir) => Ledger::in_dir(dir, &args.out),
        None => Ledger::beside_key(&args.key, &args.out),
    };
    let publisher = Publisher::open(&args.out, key)
        .map_err(|e| e.to_string())?
        .with_ledger(ledger, args.adopt);
    let contact = contact(&args)?;

    let name = args.input.display().to_string();
    let input: Box<dyn io::BufRead + Send> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input).map_err(|e| format!("{name}: {e}"))?,
        ))
    };
    let options = ListOptions::new(
        InputOptions::default()
            .with_columns(args.column.iter().map(|c| ColumnSpec::parse(c)))
            .with_region_column(args.region_column.as_deref().map(ColumnSpec::parse))
            .with_names(SettingNames::new(
                "--column",
                "--encoding",
                "--region",
                "--allow-letters",
            )),
        region,
        ReadOptions {
            allow_letters: args.allow_letters,
        },
    );
    let list = read_list(input, &options).map_err(|e| {
        use hushlist::check::input::InputError;
        let hint = match &e {
            InputError::NoPhoneColumn { .. } => "; name the column(s) with --column",
            InputError::NoHeader { .. } => "; say which holds the numbers with --column N",
            InputError::NeedsHeader { .. } => "; give --column a column number",
            _ => "",
        };
        format!("{name}: {e}{hint}")
    })?;
    for skipped in &list.skipped {
        // The list is sensitive: name the line, never the content, unless asked.
        let shown = match (&skipped.text, args.show_rows) {
            (Some(v), true) => format!(
                " {:?}",
                v.chars().filter(|c| !c.is_control()).collect::<String>()
            ),
            _ => String::new(),
        };
        let reason = match &skipped.problem {
            EntryProblem::DigitsAlone if region.is_none() => {
                "digits alone: write the number with + (or give --region for a national number)"
                    .to_string()
            }
            EntryProblem::DigitsAlone => format!(
                "digits alone, and not a number of --region {}: write the number with +",
                region.map(|r| r.to_string()).unwrap_or_default()
            ),
            problem => problem.to_string(),
        };
        eprintln!(
            "hushlist-publish: {name}:{}:{shown} skipped, {reason}",
            skipped.line
        );
    }
    let (rows, invalid) = (list.rows, list.skipped.len() as u64);
    if args.strict && invalid > 0 {
        return Err(format!(
            "--strict: {invalid} row(s) are not phone numbers; nothing published"
        ));
    }
    let numbers = list.numbers;
    let created = now();
    let plan = NextPlan {
        kdf,
        fp_rate: args.fp_rate,
        created,
        expires: created + valid_for,
        epoch_length,
        new_epoch: args.new_epoch,
        contact,
        key_cache: args.key_cache.as_deref(),
        oprf,
        evaluation_url: args.evaluation_url.clone(),
    };
    let next = publisher
        .next(&numbers, plan, &mut os_random)
        .map_err(|e| match e {
            PublisherError::CacheInsidePublication(dir) => format!(
                "--key-cache {}: inside the published directory, it would publish the list's keys",
                dir.display()
            ),
            e @ PublisherError::NotOurHistory { .. } => format!(
                "{e}. If this history is yours and nothing is missing from it (the first build \
                 with a ledger, keys moved to another directory), run again with --adopt"
            ),
            e @ PublisherError::WouldBeRefused(_) => format!(
                "{e}; a larger --fp-rate than the clients' maximum (1e-4 by default) cannot \
                 pass, and with a tiny list an unlucky salt can set too few bits: \
                 --new-epoch draws a new one"
            ),
            e => e.to_string(),
        })?;
    if let Some(from) = next.contact_carried_over {
        println!("publisher contact carried over from snapshot #{from}");
    }
    let c = &next.params.contact;
    if c.name.is_empty() || c.contact.is_empty() {
        eprintln!(
            "hushlist-publish: warning: no publisher name or contact given (--publisher-name, \
             --publisher-contact or --publisher-config): reports cannot tell people whom to call \
             to confirm a match"
        );
    }
    let path = next.write(&args.out).map_err(|e| e.to_string())?;
    let (params, snapshot, publication) = (&next.params, &next.snapshot, &next.publication);
    let sequence = params.sequence;
    let epoch_note = epoch_note(&next.epoch, kdf);
    let sealed_note = if snapshot.header.evaluation_url.is_empty() {
        String::new()
    } else {
        format!(
            "\n  evaluations: {} (clients ask there for the keys of sealed epochs)",
            snapshot.header.evaluation_url
        )
    };
    let cache_note = match &next.cache {
        None => String::new(),
        Some((hits, file)) => format!(
            "\n  key cache: {hits} of {} numbers already hashed for this salt ({})",
            numbers.len(),
            file.display()
        ),
    };
    println!(
        "published snapshot #{sequence} to {}\n  {} entries from {rows} rows ({} duplicates merged, {invalid} skipped)\n  \
         hash {}, filter {} bits / {} hashes, expires {}\n  {epoch_note}{sealed_note}{cache_note}\n  publisher: {}\n  file {} ({} bytes), took {:.1}s",
        args.out.display(),
        numbers.len(),
        list.entries.saturating_sub(numbers.len() as u64),
        params.kdf.name(),
        snapshot.filter.bits(),
        snapshot.filter.hashes(),
        rfc3339(params.expires),
        contact_summary(&params.contact),
        path.display(),
        publication.snapshot.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn kdf_text(kdf: Kdf) -> String {
    match kdf {
        Kdf::Argon2id { m_kib, t, p } => format!("argon2id m={m_kib} KiB t={t} p={p}"),
        Kdf::Blake3 => "blake3".into(),
        Kdf::Voprf { public_key } if public_key == [0; 32] => "voprf (sealed)".into(),
        Kdf::Voprf { public_key } => format!(
            "voprf (sealed), OPRF public key {}",
            hex::encode(public_key)
        ),
    }
}

/// What the salt-epoch choice was, in the words the build prints.
fn epoch_note(choice: &EpochChoice, asked: Kdf) -> String {
    let e = &choice.epoch;
    let next = format!(
        "next salt from {} ({}), announced in this snapshot",
        rfc3339(e.next_start),
        kdf_text(e.next_kdf)
    );
    let mut note = match choice.decision {
        EpochDecision::Kept { from } => format!(
            "salt epoch: same salt as snapshot #{from} (since {}, {}); {next}",
            rfc3339(e.start),
            kdf_text(choice.kdf)
        ),
        EpochDecision::Switched { from } => format!(
            "salt epoch: switched to the salt announced in snapshot #{from} ({}); {next}",
            kdf_text(choice.kdf)
        ),
        EpochDecision::First => format!("salt epoch: new salt (first snapshot); {next}"),
        _ => format!("salt epoch: new salt (--new-epoch); {next}"),
    };
    if choice.deferred {
        note.push_str(&format!(
            "\n  note: this build's hash parameters ({}: --kdf and --argon2-*, or their defaults) \
             differ from the epoch's; they are announced for the next switch, as clients \
             hash for the announced ones; --new-epoch applies them now",
            kdf_text(asked)
        ));
        if choice.kdf.is_sealed() && !asked.is_sealed() {
            note.push_str(
                "\n  WARNING: this sealed list's next fresh epoch would not be sealed: anyone \
                 could then test numbers offline again; give --kdf voprf on every build",
            );
        }
    }
    note
}

/// The publisher's contact: the config file, overridden by flags; `None` when
/// neither is given (the publisher then carries the previous snapshot's over,
/// and says so).
fn contact(args: &BuildArgs) -> Result<Option<Contact>, String> {
    let given = args.publisher_config.is_some()
        || args.publisher_name.is_some()
        || args.publisher_contact.is_some()
        || args.confirm_url.is_some()
        || args.confirm_text.is_some();
    if !given {
        return Ok(None);
    }
    let mut c = match &args.publisher_config {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_slice::<Contact>(&text)
                .map_err(|e| format!("{}: not a publisher contact: {e}", path.display()))?
        }
        None => Contact::default(),
    };
    let set = |field: &mut String, value: &Option<String>| {
        if let Some(v) = value {
            *field = v.trim().to_string();
        }
    };
    set(&mut c.name, &args.publisher_name);
    set(&mut c.contact, &args.publisher_contact);
    set(&mut c.confirm_url, &args.confirm_url);
    set(&mut c.confirm_text, &args.confirm_text);
    c.validate()?;
    Ok(Some(c))
}

fn contact_summary(c: &Contact) -> String {
    if c.is_empty() {
        return "none given".into();
    }
    let mut parts: Vec<&str> = [&c.name, &c.contact, &c.confirm_url]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if !c.confirm_text.is_empty() {
        parts.push("(confirmation text given)");
    }
    parts.join(", ")
}
