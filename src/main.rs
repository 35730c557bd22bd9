//! The `mailtrace` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    mailtrace::cli::main()
}
