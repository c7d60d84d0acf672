//! `.dockerignore` reading and moby/patternmatcher matching semantics. (Stub: being written.)
