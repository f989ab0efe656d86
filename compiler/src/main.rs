fn main() {
    std::process::exit(msbc::cli::main());
}
