// Behaviour for the boards activities (loaded on every live page; regions are re-rendered, so listen on document).
