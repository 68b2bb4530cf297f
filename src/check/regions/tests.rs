use super::*;

fn code(value: &str) -> String {
    match region_from_value(value) {
        Ok(r) => r.to_string(),
        Err(e) => panic!("{value:?}: {e}"),
    }
}

#[test]
fn the_table_gives_no_key_two_meanings_by_accident() {
    let (_, clashes) = build();
    assert!(clashes.is_empty(), "clashing keys: {clashes:?}");
}

#[test]
fn every_libphonenumber_region_has_codes_and_a_name() {
    let mut missing = Vec::new();
    for r in rlibphonenumber::PHONE_NUMBER_UTIL.get_supported_regions() {
        let code = r.to_string();
        match REGIONS.iter().find(|(c, _, _)| *c == code) {
            Some((_, alpha3, names)) => {
                assert_eq!(alpha3.len(), 3, "{code}");
                assert!(!names.is_empty(), "{code}");
                assert_eq!(region_from_value(alpha3).unwrap().to_string(), code);
                assert_eq!(region_from_value(names[0]).unwrap().to_string(), code);
            }
            None => missing.push(code),
        }
    }
    assert!(missing.is_empty(), "no names for {missing:?}");
}

#[test]
fn what_exports_write_for_the_united_kingdom() {
    for value in [
        "GB",
        "gb",
        "GBR",
        "UK",
        "U.K.",
        "u.k",
        " United Kingdom ",
        "united-kingdom",
        "UNITED KINGDOM",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Great Britain",
        "Britain",
        "Great Britain & Northern Ireland",
        "United Kingdom of Great Britain and Northern Ireland",
        "Vereinigtes Königreich",
        "Grossbritannien",
        "Großbritannien",
        "Royaume-Uni",
        "Reino Unido",
        "Regno Unito",
        "Verenigd Koninkrijk",
        "Cymru",
        "英国",
        "イギリス",
        "영국",
        "Великобритания",
        "United Kingdom (GB)",
        "GB - United Kingdom",
    ] {
        assert_eq!(code(value), "GB", "{value:?}");
    }
}

#[test]
fn what_exports_write_for_the_united_states() {
    for value in [
        "US",
        "USA",
        "U.S.",
        "U.S.A.",
        "u s a",
        "United States",
        "United States of America",
        "the United States",
        "America",
        "Vereinigte Staaten",
        "États-Unis",
        "Etats Unis",
        "Estados Unidos",
        "EE. UU.",
        "EEUU",
        "Stati Uniti",
        "США",
        "美国",
        "アメリカ",
        "미국",
        "California",
        "New York",
        "Washington, D.C.",
        "Georgia, USA",
        "Georgia (US)",
    ] {
        assert_eq!(code(value), "US", "{value:?}");
    }
}

#[test]
fn native_and_european_names_of_many_regions() {
    let cases = [
        ("Deutschland", "DE"),
        ("BRD", "DE"),
        ("Germany", "DE"),
        ("DEU", "DE"),
        ("Allemagne", "DE"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("ESPAÑA", "ES"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Svizzera", "CH"),
        ("Österreich", "AT"),
        ("Osterreich", "AT"),
        ("Oesterreich", "AT"),
        ("Sverige", "SE"),
        ("Norge", "NO"),
        ("Danmark", "DK"),
        ("Suomi", "FI"),
        ("Polska", "PL"),
        ("Česko", "CZ"),
        ("Cesko", "CZ"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("Brasil", "BR"),
        ("México", "MX"),
        ("Mexico", "MX"),
        ("日本", "JP"),
        ("中国", "CN"),
        ("대한민국", "KR"),
        ("Россия", "RU"),
        ("Russian Federation", "RU"),
        ("Ελλάδα", "GR"),
        ("ΕΛΛΑΔΑ", "GR"),
        ("Ελλαδα", "GR"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Magyarország", "HU"),
        ("România", "RO"),
        ("Hrvatska", "HR"),
        ("Србија", "RS"),
        ("Україна", "UA"),
        ("Éire", "IE"),
        ("Ireland", "IE"),
        ("Ísland", "IS"),
        ("Lëtzebuerg", "LU"),
        ("Belgique", "BE"),
        ("België", "BE"),
        ("Canada", "CA"),
        ("Québec", "CA"),
        ("Argentina", "AR"),
        ("Perú", "PE"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d’Ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("Trinidad & Tobago", "TT"),
        ("St. Kitts and Nevis", "KN"),
        ("St Lucia", "LC"),
        ("Saint Lucia", "LC"),
        ("The Gambia", "GM"),
        ("Bahamas, The", "BS"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Viet Nam", "VN"),
        ("Việt Nam", "VN"),
        ("भारत", "IN"),
        ("India", "IN"),
        ("Hong Kong SAR", "HK"),
        ("香港", "HK"),
        ("Macau", "MO"),
        ("台灣", "TW"),
        ("Oʻzbekiston", "UZ"),
        ("O'zbekiston", "UZ"),
        ("UAE", "AE"),
        ("مصر", "EG"),
        ("South Africa", "ZA"),
        ("DR Congo", "CD"),
        ("Congo-Brazzaville", "CG"),
        ("Aotearoa", "NZ"),
        ("New Zealand", "NZ"),
        ("Australia", "AU"),
        ("Curaçao", "CW"),
        ("Åland", "AX"),
        ("Kosovo", "XK"),
        ("Sakartvelo", "GE"),
        ("Georgien", "GE"),
        ("Namibia", "NA"),
        ("NAM", "NA"),
        ("ＵＳＡ", "US"),
        ("🇩🇪", "DE"),
        ("🇬🇧", "GB"),
        ("Cote\u{302} d'Ivoire", "CI"),
        ("Espan\u{303}a", "ES"),
    ];
    for (value, want) in cases {
        assert_eq!(code(value), want, "{value:?}");
    }
}

#[test]
fn subdivision_codes_and_statistical_names_stand_for_their_country() {
    for (value, want) in [
        ("US-CA", "US"),
        ("gb-sct", "GB"),
        ("GB-ENG", "GB"),
        ("DE-BE", "DE"),
        ("CA-QC", "CA"),
        ("Korea, Rep.", "KR"),
        ("Egypt, Arab Rep.", "EG"),
        ("Congo, Dem. Rep.", "CD"),
        ("Czech Rep.", "CZ"),
        ("Slovak Republic", "SK"),
        ("Hong Kong SAR, China", "HK"),
        ("Venezuela, RB", "VE"),
    ] {
        assert_eq!(code(value), want, "{value:?}");
    }
    for value in ["XX-AB", "US-CALIF", "V-20000"] {
        assert!(region_from_value(value).is_err(), "{value:?}");
    }
}

#[test]
fn ambiguous_values_name_every_candidate() {
    for (value, want) in [
        ("Georgia", &["GE", "US"][..]),
        ("georgia", &["GE", "US"]),
        ("Congo", &["CG", "CD"]),
        ("Korea", &["KR", "KP"]),
        ("Virgin Islands", &["VG", "VI"]),
    ] {
        match region_from_value(value) {
            Err(UnknownRegionValue::Ambiguous { candidates, .. }) => {
                let got: Vec<String> = candidates.iter().map(|c| c.region.to_string()).collect();
                assert_eq!(got, want, "{value:?}");
            }
            other => panic!("{value:?}: {other:?}"),
        }
    }
    let message = region_from_value("Georgia").unwrap_err().to_string();
    assert!(message.contains("GE (Georgia, the country)"), "{message}");
    assert!(
        message.contains("US (the US state of Georgia)"),
        "{message}"
    );
}

#[test]
fn a_second_part_settles_an_ambiguous_value() {
    assert_eq!(code("Georgia (GE)"), "GE");
    assert_eq!(code("Georgia / US"), "US");
    assert_eq!(code("Congo (COD)"), "CD");
    assert!(matches!(
        region_from_value("Germany (FR)"),
        Err(UnknownRegionValue::Conflicting { .. })
    ));
    assert!(matches!(
        region_from_value("Georgia (DE)"),
        Err(UnknownRegionValue::Conflicting { .. })
    ));
}

#[test]
fn unknown_values_are_errors_that_say_what() {
    for value in [
        "Atlantis",
        "Paris, France",
        "Europe/Berlin",
        "EN",
        "XX",
        "1",
        "Deutschlandd",
    ] {
        let err = region_from_value(value).unwrap_err();
        assert!(
            matches!(
                err,
                UnknownRegionValue::Unknown { .. } | UnknownRegionValue::WithoutNumbers { .. }
            ),
            "{value:?}: {err:?}"
        );
    }
    let message = region_from_value("Atlantis").unwrap_err().to_string();
    assert!(message.contains("\"Atlantis\""), "{message}");
    assert!(message.contains("ISO 3166"), "{message}");
}

#[test]
fn missing_value_markers_are_not_namibia() {
    for value in [
        "N/A", "n/a", "NA", "n.a.", "None", "unknown", "k.A.", "NULL",
    ] {
        assert!(
            matches!(
                region_from_value(value),
                Err(UnknownRegionValue::NotGiven { .. })
            ),
            "{value:?}"
        );
    }
    for value in ["", "  ", "-", "--", "?"] {
        assert_eq!(region_from_value(value), Err(UnknownRegionValue::Empty));
    }
}

#[test]
fn places_without_their_own_numbering_plan_say_so() {
    for value in ["Antarctica", "AQ", "Pitcairn", "EU", "European Union"] {
        let err = region_from_value(value).unwrap_err();
        assert!(
            matches!(err, UnknownRegionValue::WithoutNumbers { .. }),
            "{value:?}: {err:?}"
        );
    }
}

#[test]
fn a_phone_number_in_the_region_column_is_not_echoed() {
    let message = region_from_value("+44 7700 900123")
        .unwrap_err()
        .to_string();
    assert!(!message.contains("7700"), "{message}");
    assert!(message.contains("digits"), "{message}");
}

#[test]
fn region_names_are_english() {
    let gb = Region::parse("GB").unwrap();
    assert_eq!(region_name(gb), Some("United Kingdom"));
    assert_eq!(region_name(Region::parse("DE").unwrap()), Some("Germany"));
}

#[test]
fn folding_ignores_case_accents_punctuation_and_spacing() {
    assert_eq!(fold("  Côte d'Ivoire "), "cotedivoire");
    assert_eq!(fold("U.S.A."), "usa");
    assert_eq!(fold("Straße"), "strasse");
    assert_eq!(fold("St. Kitts & Nevis"), "saintkittsandnevis");
    assert_eq!(fold("The Gambia"), "gambia");
    assert_eq!(fold("ＵＫ"), "uk");
}

#[test]
fn missing_value_markers_shadow_no_name_but_namibias_code() {
    let (table, _) = build();
    for marker in NOT_GIVEN {
        assert_eq!(
            table.contains_key(*marker),
            *marker == "na",
            "{marker:?} is also a table key"
        );
    }
}

#[test]
fn remembered_values_read_as_fresh_ones() {
    let values = RegionValues::new();
    for _ in 0..3 {
        for value in [
            "UK",
            "Deutschland",
            "Georgia",
            "N/A",
            "Atlantis",
            "Georgia (GE)",
        ] {
            assert_eq!(values.read(value), region_from_value(value), "{value:?}");
        }
    }
    for i in 0..MAX_REMEMBERED + 10 {
        let value = format!("Nowhere {i}");
        assert_eq!(values.read(&value), region_from_value(&value));
    }
    assert_eq!(values.seen.read().unwrap().len(), MAX_REMEMBERED);
    assert_eq!(values.read("England").unwrap().to_string(), "GB");
}
