// A proc-macro crate compiled against the header of `dep`: it is linked like a dylib.

extern crate proc_macro;
use proc_macro::TokenStream;

#[proc_macro]
pub fn plain_of_three(_: TokenStream) -> TokenStream {
    format!("{}u32", dep::plain(3)).parse().unwrap()
}
