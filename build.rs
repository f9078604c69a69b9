//! Embeds the lessons in lessons/ into the binary, so `proclab` works from anywhere;
//! `--lessons DIR` still loads another folder at run time. Embeds the interface's
//! words too (`assets/i18n/*.toml`, one file per language), so a language is a file.
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=lessons");
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("lessons");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    files.sort();
    let mut code = String::from("pub static BUILTIN: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        code.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("lessons.rs"),
        code,
    )
    .unwrap();
    languages();
}

/// `assets/i18n/<code>.toml` → `LANGUAGES: &[(code, text)]`, English first (the
/// language every other falls back to), then by code.
fn languages() {
    println!("cargo:rerun-if-changed=assets/i18n");
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("assets/i18n");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "toml"));
    let code_of = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
    files.sort_by_key(|p| (code_of(p) != "en", code_of(p)));
    let mut code = String::from("pub static LANGUAGES: &[(&str, &str)] = &[\n");
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        code.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            code_of(&f),
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("languages.rs"),
        code,
    )
    .unwrap();
}
