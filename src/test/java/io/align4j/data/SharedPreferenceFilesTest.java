package io.align4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.align4j.testing.SharedData;
import io.align4j.util.DataPaths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The two shared preference files load completely, and their first examples match the files exactly. */
class SharedPreferenceFilesTest {

    @Test
    void shareGptDemoLoads300PairsWithTheFirstExactly() {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(
                SharedData.require(DataPaths.SHAREGPT_PREFS), PreferenceFormat.AUTO, OnError.FAIL);
        assertEquals("sharegpt", read.format());
        assertEquals(300, read.examples().size());
        assertEquals(0, read.problemCount());
        PreferenceExample first = read.examples().get(0);
        assertTrue(first.isConversation());
        assertEquals(List.of(Message.user("Hi! I'd like to create a new language game simulating the first person perspective of a character named Angela.")), first.promptMessages());
        assertEquals(List.of(Message.assistant("That sounds like a fun and engaging idea! Here are some tips to help you create the game:\n1. Start with the character's name and background: Before creating the game, it's important to have a clear idea of who Angela is and where she comes from. What is her age, gender, occupation, and interests? Knowing these details will help you create a relatable and realistic character that players can connect with.\n2. Decide on the objective of the game: What is the main objective of the game? Is it to help Angela navigate through a challenging environment, solve puzzles, or interact with other characters? Once you have a clear objective, you can start designing the game mechanics.\n3. Design the game mechanics: The game mechanics are the rules and controls that players use to interact with the game environment. Consider the camera angle, movement, interaction with objects, and any other features that will enhance the player's experience.\n4. Create a storyline: A storyline can add depth to the game and make it more engaging. Consider the obstacles that Angela will face, the challenges she will encounter, and the rewards she will receive.\n5. Add sound effects and music: Sound effects and music can help create atmosphere and enhance the player's experience. Consider using appropriate sound effects for each environment and adding music that fits the storyline.\n6. Test and refine: Once you have created the game, it's important to test it and get feedback from players. Use this feedback to refine the game and make it better.\nWith these tips, you should be well on your way to creating a fun and engaging language game simulating the first person perspective of Angela. Good luck!")), first.chosenMessages());
        assertEquals(List.of(Message.assistant("Hello! I'd be happy to help you create a language game simulating the first-person perspective of a character named Angela! What kind of game are you imagining? Do you have any specific details or themes in mind for the game, such as a setting, plot, or style? The more information you can provide, the better I can assist you. Additionally, please let me know if you have any specific preferences for the language or tone of the game. I'll do my best to suggest engaging and accurate responses as your helpful, respectful, and honest assistant! \ud83d\ude0a")), first.rejectedMessages());
        assertTrue(first.source().endsWith("sharegpt-dpo_en_demo.json line 2 (element 0)"), first.source());
        // 80 pairs carry a system turn first, 106 have three or more turns before the response.
        assertEquals(80, read.examples().stream().filter(e -> e.promptMessages().get(0).role().equals("system")).count());
        assertEquals(106, read.examples().stream().filter(e -> e.promptMessages().size() >= 3).count());
        assertTrue(read.examples().stream().allMatch(e -> e.promptMessages().get(e.promptMessages().size() - 1).role().equals("user")));
    }

    /**
     * The OpenAI file has 284 JSON lines, all valid: {@code wc -l} reports 283 because the last
     * line has no trailing newline, which is still a complete JSONL record.
     */
    @Test
    void openAiOrcaLoadsEveryLineWithTheFirstExactly() {
        DatasetRead<PreferenceExample> read = PreferenceDatasets.read(
                SharedData.require(DataPaths.ORCA_PREFS), PreferenceFormat.AUTO, OnError.FAIL);
        assertEquals("openai", read.format());
        assertEquals(284, read.examples().size());
        assertEquals(0, read.problemCount());
        PreferenceExample first = read.examples().get(0);
        assertEquals(List.of(Message.system("You are an AI assistant. User will you give you a task. Your goal is to complete the task as faithfully as you can. While performing the task think step-by-step and justify your steps."),
                Message.user("MM. Georges Colombier, Samad Seyidov (pour un rappel au R\u00e8glement), M. Davit Harutyunyan et M. Serhiy Holovaty.\n\nTranslate to English")), first.promptMessages());
        assertEquals(List.of(Message.assistant("Step 1: Identify the names and phrases in the given text. In this case, it is a list of names, and a phrase \"pour un rappel au R\u00e8glement\".\n\nStep 2: Determine which parts of the text require translation. In this case, the phrase \"pour un rappel au R\u00e8glement\" requires translation.\n\nStep 3: Translate - Translating the phrase \"pour un rappel au R\u00e8glement\" from French to English using my language knowledge database, it translates to \"for a point of order.\"\n\nStep 4: Replace the original phrase with the English translation - Replace the phrase in the original text with the English translation.\n\nFinal Result:\nMr. Georges Colombier, Samad Seyidov (for a point of order), Mr. Davit Harutyunyan, and Mr. Serhiy Holovaty.")), first.chosenMessages());
        assertEquals(List.of(Message.assistant("Sure, I'd be happy to help! The task you have given me is to translate the following names into English:\n\nMM. Georges Colombier, Samad Seyidov (pour un rappel au R\u00e8glement), M. Davit Harutyunyan et M. Serhiy Holovaty.\n\nHere are the translations, step by step:\n\n1. MM. Georges Colombier:\n\nMM. is an abbreviation for \"Messieurs\" in French, which means \"gentlemen.\" Georges Colombier is a French name, so I will translate it as \"Mr.\"\n\nTherefore, the translation of MM. Georges Colombier is \"Mr. Georges Colombier.\"\n\n2. Samad Seyidov (pour un rappel au R\u00e8glement):\n\nSamad Seyidov is a name of Azerbaijani origin. \"Pour un rappel au R\u00e8glement\" is a French phrase that means \"for a reminder of the rule.\"\n\nSince Samad Seyidov is a name of Azerbaijani origin, I will translate it as \"Mr. Samad Seyidov.\"\n\n3. M. Davit Harutyunyan:\n\nM. is an abbreviation for \"Monsieur\" in French, which means \"Mr.\" Davit Harutyunyan is an Armenian name, so I will translate it as \"Mr. Davit Harutyunyan.\"\n\n4. M. Serhiy Holovaty:\n\nM. is an abbreviation for \"Monsieur\" in French, which means \"Mr.\" Serhiy Holovaty is a Ukrainian name, so I will translate it as \"Mr. Serhiy Holovaty.\"\n\nTherefore, the translations of the four names are:\n\n* Mr. Georges Colombier\n* Mr. Samad Seyidov\n* Mr. Davit Harutyunyan\n* Mr. Serhiy Holovaty")), first.rejectedMessages());
        assertTrue(first.source().endsWith("openai-orca_dpo_pairs-validation.jsonl line 1"), first.source());
        assertFalse(read.examples().get(283).chosenMessages().get(0).content().isBlank());
    }
}
