// Private macros. `inner_add` collapses its debuginfo to its call site, which is inside `outer`:
// the line that debuginfo gives the addition is that of the call below.

#[collapse_debuginfo(yes)]
macro_rules! inner_add {
    ($a:expr) => {
        $a + 1
    };
}

macro_rules! outer {
    ($a:expr) => {{
        let value = $a;
        $crate::macros::inner_add!(value)
    }};
}

pub(crate) use {inner_add, outer};
