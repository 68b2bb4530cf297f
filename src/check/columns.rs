//! Which columns of a header hold phone numbers, judged from their names alone.
//!
//! A header is split into words (at punctuation, spaces and camelCase), folded
//! to lower case without accents, and compared word by word: "Hotel" is not
//! "tel", "Phone Type" describes a phone rather than holding one. Scripts
//! without spaces between words (Chinese, Japanese, Korean) are matched by
//! substring instead. The word lists cover the major languages of the regions
//! libphonenumber knows; a column they miss is named with `--column`.

/// What a column's name says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// It holds phone numbers ("Mobile Phone", "Rufnummer", "Téléphone").
    Phone,
    /// It is only called a number ("Number", "Nummer"): used when no column is
    /// named as a phone.
    BareNumber,
    /// It describes a phone without holding its number ("Phone Type", "Phone Ext").
    Describes,
    /// Anything else.
    Other,
}

/// Words (folded: lower case, no accents) that name a phone-number column.
const PHONE_WORDS: &[&str] = &[
    // English
    "phone",
    "phones",
    "telephone",
    "telephones",
    "tel",
    "mobile",
    "mobiles",
    "cell",
    "cellphone",
    "cellular",
    "msisdn",
    "landline",
    "smartphone",
    "phonenumber",
    "mobilephone",
    "cellnumber",
    "mobileno",
    "phoneno",
    "telno",
    "telnr",
    "whatsapp",
    "ddi",
    "pager",
    "beeper",
    // German
    "telefon",
    "telefonnummer",
    "telefonnr",
    "rufnummer",
    "rufnr",
    "handy",
    "handynummer",
    "handynr",
    "mobil",
    "mobilnummer",
    "mobilnr",
    "mobiltelefon",
    "mobilfunknummer",
    "festnetz",
    "festnetznummer",
    "diensthandy",
    "diensttelefon",
    "fon",
    // French
    "portable",
    "numtel",
    "tel",
    "mobile",
    // Spanish, Portuguese, Italian
    "telefono",
    "telefonos",
    "movil",
    "celular",
    "celulares",
    "cellulare",
    "telemovel",
    "telefone",
    "fone",
    "tlf",
    "tfno",
    "tlfno",
    // Dutch, Scandinavian, Finnish, Polish, Czech, Hungarian, Turkish, Romanian
    "telefoon",
    "telefoonnummer",
    "mobiel",
    "gsm",
    "mobilnummer",
    "telefonnummer",
    "puhelin",
    "puhelinnumero",
    "matkapuhelin",
    "komorka",
    "komorkowy",
    "telefonszam",
    "mobilszam",
    "telefonu",
    "telefonul",
    // Greek, Russian, Ukrainian, Bulgarian, Serbian (Cyrillic), Hebrew, Arabic, Persian
    "τηλεφωνο",
    "κινητο",
    "τηλ",
    "телефон",
    "тел",
    "мобильный",
    "мобильныи",
    "мобилен",
    "сотовыи",
    "сотовый",
    "мобільний",
    "טלפון",
    "נייד",
    "هاتف",
    "جوال",
    "موبايل",
    "تلفن",
    "موبایل",
    // Indonesian, Malay, Vietnamese, Hindi, Thai
    "telepon",
    "ponsel",
    "telefon",
    "dienthoai",
    "फोन",
    "मोबाइल",
    "โทรศัพท์",
    "มือถือ",
];

/// Word sequences that name a phone column only together ("điện thoại").
const PHONE_PHRASES: &[&[&str]] = &[
    &["dien", "thoai"],
    &["no", "hp"],
    &["nomor", "hp"],
    &["contact", "number"],
    &["contact", "no"],
    &["direct", "dial"],
    &["direct", "line"],
    &["whats", "app"],
];

/// Substrings for scripts written without spaces.
const PHONE_SUBSTRINGS: &[&str] = &[
    "電話",
    "电话",
    "携帯",
    "手机",
    "手機",
    "전화",
    "휴대폰",
    "핸드폰",
];

/// Words that, beside a phone word, make the column describe the phone instead.
const DESCRIBING_WORDS: &[&str] = &[
    "type",
    "types",
    "kind",
    "typ",
    "art",
    "tipo",
    "genre",
    "category",
    "label",
    "model",
    "brand",
    "make",
    "manufacturer",
    "provider",
    "carrier",
    "operator",
    "network",
    "plan",
    "tariff",
    "tarif",
    "contract",
    "vertrag",
    "iccid",
    "imei",
    "imsi",
    "serial",
    "status",
    "verified",
    "valid",
    "consent",
    "optin",
    "opt",
    "count",
    "cost",
    "costs",
    "price",
    "amount",
    "date",
    "since",
    "until",
    "owner",
    "country",
    "region",
    "code",
    "prefix",
    "ext",
    "extension",
    "durchwahl",
    "flag",
    "note",
    "notes",
    "comment",
    "comments",
    "device",
    "os",
    "allowance",
    "bill",
    "billing",
    "usage",
    "limit",
    "pin",
    "puk",
    "password",
    "passwort",
    "modell",
    "modele",
    "modelo",
    "marke",
    "marca",
    "hersteller",
    "gerat",
    "anbieter",
    "kosten",
    "preis",
    "betrag",
    "datum",
    "account",
    "login",
];

/// Columns that hold something like a number but are not checked unless
/// named, with why: every report names them, so nothing is left out silently.
pub fn unchecked_reason(name: &str) -> Option<&'static str> {
    let words = words(name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(&["fax", "telefax", "telecopie", "faxnummer"]) {
        Some("a fax number: not checked unless named as a column to check")
    } else if has(&["durchwahl", "extension", "ext", "nebenstelle", "poste"]) {
        Some("an extension, not a whole number")
    } else {
        None
    }
}

/// Whether a column's name says it holds something that is never a phone
/// number however it looks (a date, a device or SIM serial): its digits are
/// not warned about as phone-shaped.
pub fn never_a_phone(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "date",
        "dates",
        "datum",
        "fecha",
        "imei",
        "iccid",
        "imsi",
        "meid",
        "esn",
        "serial",
        "seriennummer",
    ];
    words(name).iter().any(|w| WORDS.contains(&w.as_str()))
}

/// Words (folded) of a column that says whose the row is: a person's name,
/// a user, a device or asset. A report's one-line summary shows these.
const HOLDER_WORDS: &[&str] = &[
    "name",
    "names",
    "fullname",
    "firstname",
    "lastname",
    "surname",
    "givenname",
    "displayname",
    "employee",
    "employees",
    "holder",
    "user",
    "username",
    "owner",
    "assignee",
    "assigned",
    "person",
    "staff",
    "subscriber",
    "device",
    "asset",
    "vorname",
    "nachname",
    "nutzer",
    "nutzerin",
    "teilnehmer",
    "mitarbeiter",
    "mitarbeiterin",
    "benutzer",
    "inhaber",
    "nom",
    "prenom",
    "utilisateur",
    "titulaire",
    "salarie",
    "nombre",
    "apellido",
    "apellidos",
    "usuario",
    "titular",
    "empleado",
    "nome",
    "cognome",
    "utente",
    "dipendente",
    "naam",
    "achternaam",
    "voornaam",
    "medewerker",
    "imie",
    "nazwisko",
];

/// Scripts without spaces: "name" as a substring.
const HOLDER_SUBSTRINGS: &[&str] = &[
    "氏名", "名前", "姓名", "名字", "이름", "성명", "社員", "员工", "員工",
];

/// Whether a column's name says whose the row is (`Name`, `Employee`,
/// `Nachname`, `氏名`), and it is not itself a phone column (`Employee Phone`).
pub fn names_a_holder(name: &str) -> bool {
    if classify(name) != ColumnKind::Other || never_a_phone(name) {
        return false;
    }
    words(name)
        .iter()
        .any(|w| HOLDER_WORDS.contains(&w.as_str()))
        || HOLDER_SUBSTRINGS.iter().any(|s| name.contains(s))
}

/// Bare names for "number".
const NUMBER_WORDS: &[&str] = &["number", "numbers", "nummer", "numero", "num", "nr", "no"];

/// What the column named `name` holds, judging by its words.
pub fn classify(name: &str) -> ColumnKind {
    let words = words(name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let phrase = PHONE_PHRASES.iter().any(|p| {
        words
            .windows(p.len())
            .any(|w| w.iter().zip(p.iter()).all(|(a, b)| a == b))
    });
    let phone = has(PHONE_WORDS) || phrase || PHONE_SUBSTRINGS.iter().any(|s| name.contains(s));
    if phone {
        return if has(DESCRIBING_WORDS) {
            ColumnKind::Describes
        } else {
            ColumnKind::Phone
        };
    }
    if !words.is_empty() && words.iter().all(|w| NUMBER_WORDS.contains(&w.as_str())) {
        return ColumnKind::BareNumber;
    }
    ColumnKind::Other
}

/// The folded words of a header name: split at anything not a letter or digit
/// and at lower-to-upper case changes, lower-cased, accents removed.
pub fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            previous_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase();
        for lower in c.to_lowercase() {
            current.push(fold(lower));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Removes the accent of a Latin or Greek letter (é → e, ß stays ß); other
/// characters are kept as they are.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => 'i',
        'ł' | 'ľ' | 'ĺ' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'š' | 'ş' | 'ș' => 's',
        'ť' | 'ţ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        'й' => 'и',
        'ё' => 'е',
        'ệ' | 'ể' | 'ễ' | 'ề' | 'ế' => 'e',
        'ạ' | 'ả' | 'ấ' | 'ầ' | 'ẩ' | 'ẫ' | 'ậ' | 'ắ' | 'ằ' | 'ẳ' | 'ẵ' | 'ặ' => {
            'a'
        }
        'ọ' | 'ỏ' | 'ố' | 'ồ' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ớ' | 'ờ' | 'ở' | 'ỡ' | 'ợ' => {
            'o'
        }
        'ị' | 'ỉ' | 'ĩ' => 'i',
        'ụ' | 'ủ' | 'ũ' | 'ư' | 'ứ' | 'ừ' | 'ử' | 'ữ' | 'ự' => 'u',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnKind::*;

    #[test]
    fn holder_columns_name_people_and_devices_not_their_phones() {
        for name in [
            "Name",
            "Employee",
            "First Name",
            "Nachname",
            "Nutzer",
            "Nom",
            "Titular",
            "氏名",
            "사원 이름",
            "Device ID",
        ] {
            assert!(names_a_holder(name), "{name}");
        }
        for name in [
            "Employee Phone",
            "Mobile",
            "Start Date",
            "Device IMEI",
            "Department",
            "Kostenstelle",
        ] {
            assert!(!names_a_holder(name), "{name}");
        }
    }

    #[test]
    fn phone_columns_in_many_languages() {
        for name in [
            "Phone",
            "phone_number",
            "Mobile Phone",
            "Desk Phone",
            "Cell",
            "CellPhone",
            "mobilePhone",
            "Tel.",
            "Telephone",
            "MSISDN",
            "Contact Number",
            "Contact No.",
            "WhatsApp",
            "Direct Dial",
            "DDI",
            "Pager",
            "Telefon",
            "Rufnummer",
            "Handy",
            "Mobil",
            "Mobilnummer",
            "Telefonnummer",
            "Téléphone",
            "Tél.",
            "Portable",
            "Teléfono",
            "Móvil",
            "Celular",
            "Telefono",
            "Cellulare",
            "Telemóvel",
            "Telefone",
            "Telefoon",
            "Mobiel",
            "GSM",
            "Puhelin",
            "Komórka",
            "Telefonszám",
            "Cep Telefonu",
            "Τηλέφωνο",
            "Телефон",
            "Мобильный",
            "טלפון",
            "هاتف",
            "Điện thoại",
            "電話番号",
            "手机号码",
            "휴대폰 번호",
            "Nomor HP",
            "Numéro de téléphone",
            "Número de teléfono",
        ] {
            assert_eq!(classify(name), Phone, "{name}");
        }
    }

    #[test]
    fn lookalikes_and_describing_columns_are_not_phones() {
        for (name, kind) in [
            ("Hotel", Other),
            ("Hostel", Other),
            ("Kostenstelle", Other),
            ("Vertrag", Other),
            ("ICCID", Other),
            ("Account Number", Other),
            ("Employee ID", Other),
            ("Country", Other),
            ("Telefax", Other),
            ("phone_type", Describes),
            ("Phone Type", Describes),
            ("Mobile Plan", Describes),
            ("Phone Ext", Describes),
            ("Phone Country Code", Describes),
            ("Handyvertrag", Other),
            ("Telefon Typ", Describes),
            ("Phone PIN", Describes),
            ("Handy Modell", Describes),
            ("Modèle du portable", Describes),
            ("Number", BareNumber),
            ("Nummer", BareNumber),
            ("No.", BareNumber),
        ] {
            assert_eq!(classify(name), kind, "{name}");
        }
    }

    #[test]
    fn fax_and_extension_columns_are_named_as_not_checked() {
        assert!(unchecked_reason("Fax").unwrap().contains("fax"));
        assert!(unchecked_reason("Telefax").unwrap().contains("fax"));
        assert!(unchecked_reason("Durchwahl").unwrap().contains("extension"));
        assert_eq!(unchecked_reason("Kostenstelle"), None);
        assert_eq!(unchecked_reason("Faxon Street"), None, "whole words only");
    }

    #[test]
    fn words_split_at_case_changes_and_fold_accents() {
        assert_eq!(words("MobilePhoneNo"), ["mobile", "phone", "no"]);
        assert_eq!(words("Téléphone (bureau)"), ["telephone", "bureau"]);
        assert_eq!(words("MSISDN"), ["msisdn"]);
    }
}
