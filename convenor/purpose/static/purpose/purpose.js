// Behaviour for the purpose activities (loaded on every live page; regions are re-rendered, so listen on document).
