//! BuildKit's shell lexer (`frontend/dockerfile/shell`): variable expansion and quote
//! removal for one word or a list of words. (Stub: being written.)
