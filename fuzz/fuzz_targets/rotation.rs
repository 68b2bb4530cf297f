#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hushlist_fuzz::targets::rotation(data));
